using CityContact.Service.Features.Audit;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Prompts;

public sealed record PromptView(string Key, string Language, string Sound, long Bytes);

/// <summary>
/// Admin REST for recorded prompts: one WAV per key and language, written atomically into the directory Asterisk
/// plays from. The bytes decide what an upload is (not its Content-Type): a WAV Asterisk plays (16-bit mono 8 kHz) is
/// stored as it is, other PCM WAVs (16 kHz, stereo, 44.1 kHz...) are converted to that with sox, anything else is 415.
/// </summary>
public static partial class PromptsEndpoints
{
    /// <summary>Prompts the service plays on its own (the apology, the queue and voicemail placeholders): always in use.</summary>
    public static readonly IReadOnlySet<string> PlayedByService = new HashSet<string>(StringComparer.Ordinal) { "apology", "please-wait", "queue-unavailable", "goodbye" };

    public static void MapPrompts(this IEndpointRouteBuilder endpoints)
    {
        var prompts = endpoints.MapGroup("/api/ivr/prompts").WithTags("IVR prompts").RequireRoles(Roles.Admin);
        prompts.MapGet("/", List);
        prompts.MapGet("/{language}/{key}", Download);
        prompts.MapPut("/{language}/{key}", UploadAsync).Accepts<byte[]>("audio/wav", "application/octet-stream");
        prompts.MapDelete("/{language}/{key}", DeleteAsync);
    }

    private static Ok<Page<PromptView>> List(PromptCatalog catalog, string? language) =>
        TypedResults.Ok(Page.All<PromptView>([.. catalog.All
            .Where(p => language is null || p.Language == language)
            .Select(p => View(catalog, p.Key, p.Language))]));

    private static Results<PhysicalFileHttpResult, ValidationProblem, ProblemHttpResult> Download(string language, string key, PromptCatalog catalog)
    {
        if (NameErrors(language, key) is { } errors)
        {
            return errors;
        }
        var path = catalog.PathOf(key, language);
        return catalog.Exists(key, language) && File.Exists(path)
            ? TypedResults.PhysicalFile(path, "audio/wav", $"{key}.{language}.wav")
            : Problems.NotFound($"Prompt '{key}' in '{language}'");
    }

    private static async Task<Results<Created<PromptView>, Ok<PromptView>, ValidationProblem, ProblemHttpResult>> UploadAsync(
        string language, string key, string? description, HttpRequest request, PromptCatalog catalog, PromptStore store,
        IOptions<PromptOptions> options, AuditLog audit, CancellationToken ct)
    {
        if (NameErrors(language, key) is { } errors)
        {
            return errors;
        }
        if (description?.Length > 500)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["description"] = ["description is at most 500 characters"] });
        }
        var limit = options.Value.MaxUploadBytes;
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return TooLarge(limit);
            }
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.ToArray();
        if (WavAudio.ReadFormat(bytes) is not { } format)
        {
            return Unsupported("The upload is not a WAV file. Prompts are WAV files: 16-bit mono PCM at 8 kHz, or any integer PCM WAV to convert.");
        }
        var directory = Path.GetDirectoryName(catalog.PathOf(key, language))!;
        Directory.CreateDirectory(directory);
        if (!format.IsPlayableAsIs)
        {
            if (!format.IsPcm)
            {
                return Unsupported($"The WAV file is {format}: only integer PCM can be played or converted (16-bit mono PCM at 8 kHz is what Asterisk plays from a .wav).");
            }
            var (converted, failure) = await WavAudio.ConvertAsync(bytes, format, directory, ct);
            if (converted is null)
            {
                return Unsupported(failure!);
            }
            bytes = converted;
        }
        var existed = catalog.Exists(key, language);
        var path = catalog.PathOf(key, language);
        // Asterisk may open the file at any moment: it sees the old recording or the new one, never half of one.
        var temporary = Path.Combine(directory, $".{key}.{Guid.NewGuid():N}.tmp");
        try
        {
            await File.WriteAllBytesAsync(temporary, bytes, ct);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        await store.SaveAsync(key, language, Path.GetRelativePath(catalog.SoundsDirectory, path), description, ct);
        catalog.Added(key, language);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(request.HttpContext), existed ? "prompt.replaced" : "prompt.uploaded", "prompt",
            $"{language}/{key}", ProblemSetup.TraceIdOf(request.HttpContext), new { bytes = bytes.Length }), ct);
        var view = View(catalog, key, language);
        return existed ? TypedResults.Ok(view) : TypedResults.Created($"/api/ivr/prompts/{language}/{key}", view);
    }

    /// <summary>
    /// Refused (409, listing them) while a live or roll-back-able (published) version plays the prompt, unless
    /// <c>force=true</c>: then those versions cannot go live again until it is uploaded anew (publish and rollback check).
    /// </summary>
    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        string language, string key, bool? force, PromptCatalog catalog, PromptStore store, FlowStore flows, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (NameErrors(language, key) is { } errors)
        {
            return errors;
        }
        if (!catalog.Exists(key, language))
        {
            return Problems.NotFound($"Prompt '{key}' in '{language}'");
        }
        if (PlayedByService.Contains(key))
        {
            return Problems.Conflict($"Prompt '{key}' is played by the service itself (apology and placeholders); upload a new recording instead.");
        }
        var live = (await flows.LiveVersionsAsync(ct)).Select(v => v.Id).ToHashSet();
        var users = new List<string>();
        foreach (var version in await flows.PublishedVersionsAsync(ct))
        {
            var definition = FlowDefinition.Parse(version.Definition);
            if (definition.Languages.Contains(language) && definition.PromptKeys().Contains(key))
            {
                if (live.Contains(version.Id))
                {
                    return Problems.Conflict($"Prompt '{key}' in '{language}' is used by the live version {version.Version} of flow {version.FlowId}.");
                }
                users.Add($"flow {version.FlowId} version {version.Version}");
            }
        }
        if (users.Count > 0 && force != true)
        {
            return TypedResults.Problem(title: "The prompt is used by versions that can be rolled back to",
                detail: $"Prompt '{key}' in '{language}' is used by {string.Join(", ", users)}. Delete with force=true to remove it anyway: "
                    + "those versions then cannot go live until it is uploaded again.",
                statusCode: StatusCodes.Status409Conflict, extensions: new Dictionary<string, object?> { ["usedBy"] = users });
        }
        File.Delete(catalog.PathOf(key, language));
        catalog.Removed(key, language);
        await store.DeleteAsync(key, language, ct);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "prompt.deleted", "prompt", $"{language}/{key}", ProblemSetup.TraceIdOf(http),
            new { rollbackVersionsAffected = users }), ct);
        return TypedResults.NoContent();
    }

    private static PromptView View(PromptCatalog catalog, string key, string language)
    {
        var file = new FileInfo(catalog.PathOf(key, language));
        return new PromptView(key, language, $"sound:{PromptCatalog.Folder}/{language}/{key}", file.Exists ? file.Length : 0);
    }

    private static ValidationProblem? NameErrors(string language, string key)
    {
        var errors = new Dictionary<string, string[]>();
        if (!LanguagePattern().IsMatch(language) || !LanguageCodes.IsKnown(language))
        {
            errors["language"] = ["a language code such as 'ro' or 'en' (2-3 lower-case letters, optionally -XX)"];
        }
        if (!KeyPattern().IsMatch(key))
        {
            errors["key"] = ["1-64 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"];
        }
        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors);
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(title: "The recording is too large", detail: $"At most {limit} bytes (Prompts:MaxUploadBytes).", statusCode: StatusCodes.Status413PayloadTooLarge);

    private static ProblemHttpResult Unsupported(string detail) =>
        TypedResults.Problem(title: "The upload is not audio Asterisk can play", detail: detail, statusCode: StatusCodes.Status415UnsupportedMediaType);

    [GeneratedRegex("^[a-z]{2,3}(-[A-Z]{2})?$")]
    private static partial Regex LanguagePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    private static partial Regex KeyPattern();
}
