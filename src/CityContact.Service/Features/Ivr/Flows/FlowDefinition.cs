using System.Text.Json;
using System.Text.Json.Serialization;

namespace CityContact.Service.Features.Ivr.Flows;

/// <summary>The kinds of node a flow is made of; the JSON names are the lower-case words.</summary>
public static class NodeKinds
{
    public const string Language = "language";
    public const string Hours = "hours";
    public const string Menu = "menu";
    public const string Play = "play";
    public const string Input = "input";
    public const string Queue = "queue";
    public const string Voicemail = "voicemail";
    public const string Transfer = "transfer";
    public const string Hangup = "hangup";
    public const string TicketStatus = "ticket-status";
    public const string Survey = "survey";

    public static IReadOnlyList<string> All { get; } = [Language, Hours, Menu, Play, Input, Queue, Voicemail, Transfer, Hangup, TicketStatus, Survey];

    /// <summary>Kinds that end the IVR part of the call (the node has no <c>next</c>).</summary>
    public static bool IsTerminal(string kind) => kind is Queue or Voicemail or Transfer or Hangup;
}

/// <summary>
/// A flow as admins write it (JSON): named nodes, the node a call starts at, the languages every prompt must exist in,
/// and the node a call goes to when something fails (the operator fallback).
/// </summary>
public sealed record FlowDefinition
{
    public required string Start { get; init; }

    /// <summary>The node that receives calls the IVR cannot continue (a failed step, a re-adopted call).</summary>
    public string? Fallback { get; init; }

    public IReadOnlyList<string> Languages { get; init; } = ["ro", "en"];

    public required IReadOnlyDictionary<string, FlowNode> Nodes { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static FlowDefinition Parse(string json) =>
        JsonSerializer.Deserialize<FlowDefinition>(json, Json) ?? throw new JsonException("The flow definition is null.");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Every prompt key a node of this flow can play.</summary>
    public IEnumerable<string> PromptKeys() =>
        Nodes.Values.SelectMany(n => (n.Prompts ?? []).Append(n.InvalidPrompt).Append(n.NoInputPrompt)).OfType<string>().Distinct(StringComparer.Ordinal);

    /// <summary>Every schedule code an hours node of this flow reads.</summary>
    public IEnumerable<string> ScheduleCodes() => Nodes.Values.Select(n => n.Schedule).OfType<string>().Distinct(StringComparer.Ordinal);
}

/// <summary>
/// One node. Which fields matter depends on <see cref="Kind"/>; <see cref="FlowValidator"/> names the ones that are missing.
/// Times are milliseconds so that a flow reads the same in JSON as in the timeline.
/// </summary>
public sealed record FlowNode
{
    public required string Kind { get; init; }

    /// <summary>play: the prompts in order; menu, language, input: the question (one key).</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>play, language, input, menu-less kinds: the node after this one.</summary>
    public string? Next { get; init; }

    /// <summary>menu: digit → node; language: digit → language code.</summary>
    public IReadOnlyDictionary<string, string>? Options { get; init; }

    public int? TimeoutMs { get; init; }

    public int? InterDigitTimeoutMs { get; init; }

    public int? MaxRetries { get; init; }

    public string? InvalidPrompt { get; init; }

    public string? NoInputPrompt { get; init; }

    /// <summary>menu, language: where a caller goes after the last retry (language: the default language is kept).</summary>
    public string? Exit { get; init; }

    /// <summary>hours: the schedule code and the branches.</summary>
    public string? Schedule { get; init; }

    public string? Open { get; init; }

    public string? Closed { get; init; }

    /// <summary>hours: where holidays go (falls back to <see cref="Closed"/>).</summary>
    public string? Holiday { get; init; }

    /// <summary>input: the call variable the digits are stored under, and their maximum count.</summary>
    public string? Variable { get; init; }

    public int? MaxDigits { get; init; }

    /// <summary>queue: the queue code and the caller's priority in it (higher first); voicemail: the queue whose department gets the ticket.</summary>
    public string? Queue { get; init; }

    public int? Priority { get; init; }

    /// <summary>transfer: an internal extension (PJSIP endpoint) or an external number that must pass the allow-list.</summary>
    public string? Extension { get; init; }

    public string? Number { get; init; }
}
