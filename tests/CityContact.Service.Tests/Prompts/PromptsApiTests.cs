using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;

namespace CityContact.Service.Tests.Prompts;

/// <summary>Prompt uploads over the admin REST API into a sounds directory of the test's own (a copy of the shipped one).</summary>
public sealed class PromptsApiTests : IAsyncLifetime, IDisposable
{
    private readonly SoundsDirectoryCopy _sounds = new();
    private IvrHost _host = null!;

    private static CancellationToken Ct => TestContext.Timeout(40);

    public async Task InitializeAsync()
    {
        _host = await IvrHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Prompts:SoundsDirectory"] = _sounds.Root,
            ["Prompts:MaxUploadBytes"] = "65536",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
    }

    public void Dispose() => _sounds.Dispose();

    private string PathOf(string language, string key) => _sounds.PathOf(language, key);

    private static ByteArrayContent Audio(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return content;
    }

    [Fact]
    public async Task An_8khz_mono_recording_is_stored_as_sent_listed_and_downloaded()
    {
        using var admin = _host.Admin();
        var wav = Wav.Silence(8000, channels: 1, bits: 16, milliseconds: 200);

        var created = await admin.PutAsync("/api/ivr/prompts/ro/parking-info", Audio(wav), Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(wav, await File.ReadAllBytesAsync(PathOf("ro", "parking-info"), Ct));
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/prompts?language=ro", Ct);
        Assert.Contains(listed.GetProperty("items").Deserialize<List<PromptView>>(JsonSerializerOptions.Web)!, p => p is { Key: "parking-info", Sound: "sound:citycontact/ro/parking-info" } && p.Bytes == wav.Length);
        Assert.Equal(wav, await admin.GetByteArrayAsync("/api/ivr/prompts/ro/parking-info", Ct));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(PathOf("ro", "x"))!, "*.tmp"));

        var replaced = await admin.PutAsync("/api/ivr/prompts/ro/parking-info", Audio(Wav.Silence(16000, 1, 16, 100)), Ct);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
    }

    [Fact]
    public async Task Stereo_44khz_and_16khz_recordings_are_converted_to_8khz_mono_with_sox()
    {
        using var admin = _host.Admin();

        var stereo = await admin.PutAsync("/api/ivr/prompts/en/parking-info", Audio(Wav.Silence(44100, channels: 2, bits: 16, milliseconds: 100)), Ct);
        var fromStereo = WavAudio.ReadFormat(await File.ReadAllBytesAsync(PathOf("en", "parking-info"), Ct));
        // Asterisk refuses a 16 kHz .wav ("Unexpected frequency mismatch"): wideband uploads are brought to 8 kHz too.
        var wideband = await admin.PutAsync("/api/ivr/prompts/en/parking-info", Audio(Wav.Silence(16000, channels: 1, bits: 16, milliseconds: 100)), Ct);
        var fromWideband = WavAudio.ReadFormat(await File.ReadAllBytesAsync(PathOf("en", "parking-info"), Ct));

        Assert.Equal(HttpStatusCode.Created, stereo.StatusCode);
        Assert.Equal(new WavFormat(1, 1, 8000, 16), fromStereo);
        Assert.Equal(HttpStatusCode.OK, wideband.StatusCode);
        Assert.Equal(new WavFormat(1, 1, 8000, 16), fromWideband);
    }

    [Fact]
    public async Task Non_audio_and_non_pcm_uploads_are_refused_with_415_and_change_nothing()
    {
        using var admin = _host.Admin();
        var before = await File.ReadAllBytesAsync(PathOf("ro", "welcome"), Ct);

        var text = await admin.PutAsync("/api/ivr/prompts/ro/welcome", Audio("this is not audio at all"u8.ToArray()), Ct);
        var floating = Wav.Silence(8000, 1, 32, 50);
        floating[20] = 3; // WAVE_FORMAT_IEEE_FLOAT
        var notPcm = await admin.PutAsync("/api/ivr/prompts/ro/welcome", Audio(floating), Ct);

        foreach (var response in new[] { text, notPcm })
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Contains("PCM", (await notPcm.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(PathOf("ro", "welcome"), Ct));
    }

    [Fact]
    public async Task An_oversized_upload_is_refused_with_413_and_changes_nothing()
    {
        using var admin = _host.Admin();
        var before = await File.ReadAllBytesAsync(PathOf("ro", "welcome"), Ct);

        var response = await admin.PutAsync("/api/ivr/prompts/ro/welcome", Audio(Wav.Silence(8000, 1, 16, 5000)), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await File.ReadAllBytesAsync(PathOf("ro", "welcome"), Ct));
    }

    [Fact]
    public async Task A_prompt_the_live_flow_plays_cannot_be_deleted_one_no_flow_uses_can()
    {
        using var admin = _host.Admin();
        await admin.PutAsync("/api/ivr/prompts/ro/unused", Audio(Wav.Silence(8000, 1, 16, 50)), Ct);

        var inUse = await admin.DeleteAsync("/api/ivr/prompts/ro/main-menu", Ct);
        var unused = await admin.DeleteAsync("/api/ivr/prompts/ro/unused", Ct);
        var badKey = await admin.DeleteAsync("/api/ivr/prompts/ro/Bad!Key", Ct);

        Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
        Assert.Equal("application/problem+json", inUse.Content.Headers.ContentType?.MediaType);
        Assert.True(File.Exists(PathOf("ro", "main-menu")));
        Assert.Equal(HttpStatusCode.NoContent, unused.StatusCode);
        Assert.False(File.Exists(PathOf("ro", "unused")));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/ivr/prompts/ro/unused", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
    }

    [Fact]
    public async Task Publishing_a_flow_whose_prompt_has_no_recording_in_every_language_is_refused_naming_node_and_field()
    {
        using var admin = _host.Admin();
        await admin.PutAsync("/api/ivr/prompts/ro/parking-info", Audio(Wav.Silence(8000, 1, 16, 50)), Ct);
        var flows = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/flows", Ct);
        var id = flows.GetProperty("items").EnumerateArray().Single(f => f.GetProperty("code").GetString() == DefaultFlow.Code).GetProperty("id").GetInt64();
        var definition = JsonSerializer.SerializeToElement(DefaultFlow.Definition with
        {
            Nodes = new Dictionary<string, FlowNode>(DefaultFlow.Definition.Nodes)
            {
                ["main"] = DefaultFlow.Definition.Nodes["main"] with { Prompts = ["parking-info"] },
            },
        }, FlowDefinition.Json);
        var draft = await (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/drafts", new { definition }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var version = draft.GetProperty("version").GetInt32();

        var refused = await admin.PostAsync($"/api/ivr/flows/{id}/versions/{version}/publish", null, Ct);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Ct);
        await admin.PutAsync("/api/ivr/prompts/en/parking-info", Audio(Wav.Silence(8000, 1, 16, 50)), Ct);
        var published = await admin.PostAsync($"/api/ivr/flows/{id}/versions/{version}/publish", null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var messages = problem.GetProperty("errors").GetProperty("nodes.main.prompts[0]").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Equal(["prompt 'parking-info' has no recording in 'en'"], messages);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.DeleteAsync("/api/ivr/prompts/en/parking-info", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_version_whose_recording_was_deleted_cannot_go_live_again_by_rollback_and_the_delete_is_not_silent()
    {
        using var admin = _host.Admin();
        await admin.PutAsync("/api/ivr/prompts/ro/rollback-info", Audio(Wav.Silence(8000, 1, 16, 50)), Ct);
        await admin.PutAsync("/api/ivr/prompts/en/rollback-info", Audio(Wav.Silence(8000, 1, 16, 50)), Ct);
        var flows = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/flows", Ct);
        var id = flows.GetProperty("items").EnumerateArray().Single(f => f.GetProperty("code").GetString() == DefaultFlow.Code).GetProperty("id").GetInt64();
        async Task<int> PublishAsync(FlowDefinition definition)
        {
            var draft = await (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/drafts",
                new { definition = JsonSerializer.SerializeToElement(definition, FlowDefinition.Json) }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            var version = draft.GetProperty("version").GetInt32();
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/ivr/flows/{id}/versions/{version}/publish", null, Ct)).StatusCode);
            return version;
        }
        var withPrompt = await PublishAsync(DefaultFlow.Definition with
        {
            Nodes = new Dictionary<string, FlowNode>(DefaultFlow.Definition.Nodes) { ["main"] = DefaultFlow.Definition.Nodes["main"] with { Prompts = ["rollback-info"] } },
        });
        var current = await PublishAsync(DefaultFlow.Definition);

        var refused = await admin.DeleteAsync("/api/ivr/prompts/en/rollback-info", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.True(File.Exists(PathOf("en", "rollback-info")));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/ivr/prompts/en/rollback-info?force=true", Ct)).StatusCode);

        var report = await (await admin.PostAsync($"/api/ivr/flows/{id}/versions/{withPrompt}/validate", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(report.GetProperty("valid").GetBoolean());
        var rollback = await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/rollback", new { version = withPrompt }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, rollback.StatusCode);
        Assert.Equal("application/problem+json", rollback.Content.Headers.ContentType?.MediaType);
        var versions = await admin.GetFromJsonAsync<JsonElement>($"/api/ivr/flows/{id}/versions", Ct);
        Assert.Equal(current, versions.GetProperty("items").EnumerateArray().Single(v => v.GetProperty("live").GetBoolean()).GetProperty("version").GetInt32());

        var actions = await AuditActionsAsync();
        Assert.Contains("flow.published", actions);
        Assert.Contains("prompt.uploaded", actions);
        Assert.Contains("prompt.deleted", actions);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/rollback", new { version = 1 }, Ct)).StatusCode);
        Assert.Contains("flow.rolled_back", await AuditActionsAsync());
    }

    private async Task<List<string>> AuditActionsAsync()
    {
        await using var command = _host.Database.DataSource.CreateCommand("SELECT action FROM audit_log ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var actions = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            actions.Add(reader.GetString(0));
        }
        return actions;
    }

    [Fact]
    public async Task A_prompt_in_a_language_that_does_not_exist_is_refused()
    {
        using var admin = _host.Admin();
        var response = await admin.PutAsync("/api/ivr/prompts/xx/hello", Audio(Wav.Silence(8000, 1, 16, 50)), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(File.Exists(PathOf("xx", "hello")));
    }
}
