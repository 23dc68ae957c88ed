using System.Text.Json;

namespace CityContact.Service.Features.Ivr.Flows;

/// <summary>One problem in a flow, naming the node (or <c>flow</c>) and the field, so an admin can find it.</summary>
public sealed record FlowError(string Node, string Field, string Message);

/// <summary>What a flow may refer to outside itself: recorded prompts, queues and schedules.</summary>
public interface IFlowReferences
{
    bool PromptExists(string key, string language);

    bool QueueExists(string code);

    bool ScheduleExists(string code);

    /// <summary>Whether a transfer node may dial this external number (Ivr:TransferAllowList); the call would be refused at run time otherwise.</summary>
    bool ExternalNumberAllowed(string number) => true;
}

/// <summary>
/// Checks a flow before it can be published: parse errors, unknown kinds, missing fields, dangling edges,
/// unreachable nodes, loops that never wait for the caller, duplicate or invalid digits, missing prompts in any
/// of the flow's languages, unknown queues and schedules.
/// </summary>
public static class FlowValidator
{
    public const string FlowScope = "flow";
    private static readonly HashSet<string> ValidDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"];

    /// <summary>Parses and validates; the definition is null when the JSON itself is unusable.</summary>
    public static (FlowDefinition? Definition, IReadOnlyList<FlowError> Errors) Validate(string json, IFlowReferences references)
    {
        FlowDefinition definition;
        try
        {
            definition = FlowDefinition.Parse(json);
        }
        catch (JsonException e)
        {
            // The reader's message names .NET types (System.Nullable`1[System.Int32]); the path and a plain reason do not.
            var path = e.Path is { Length: > 0 } p ? p.TrimStart('$', '.') : "";
            var reason = (e.InnerException?.Message ?? e.Message) switch
            {
                var m when m.Contains("as a number", StringComparison.Ordinal) => "expected a number",
                var m when m.Contains("as a string", StringComparison.Ordinal) => "expected a string",
                var m when m.Contains("boolean", StringComparison.Ordinal) => "expected true or false",
                var m when m.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) => "a value of the wrong type",
                _ => "malformed JSON",
            };
            return (null, [new FlowError(FlowScope, path.Length > 0 ? path : "definition", $"not a valid flow: {reason}{(path.Length > 0 ? $" at '{path}'" : "")}")]);
        }
        var errors = new List<FlowError>();
        errors.AddRange(DuplicateDigits(json));
        errors.AddRange(Validate(definition, references));
        return (definition, errors);
    }

    public static IReadOnlyList<FlowError> Validate(FlowDefinition flow, IFlowReferences references)
    {
        var errors = new List<FlowError>();
        if (flow.Nodes is null || flow.Nodes.Count == 0)
        {
            return [new FlowError(FlowScope, "nodes", "a flow needs at least one node")];
        }
        if (flow.Languages is null || flow.Languages.Count == 0)
        {
            errors.Add(new FlowError(FlowScope, "languages", "at least one language is required"));
        }
        RequireNode(errors, flow, FlowScope, "start", flow.Start, required: true);
        RequireNode(errors, flow, FlowScope, "fallback", flow.Fallback, required: false);

        foreach (var (id, node) in flow.Nodes)
        {
            ValidateNode(errors, flow, id, node, references);
        }
        if (errors.Any(e => e.Field is "start" or "kind"))
        {
            return errors;
        }
        var reachable = Reachable(flow);
        errors.AddRange(flow.Nodes.Keys.Where(id => !reachable.Contains(id)).Order(StringComparer.Ordinal)
            .Select(id => new FlowError(id, "kind", "unreachable: no path from the start or the fallback leads here")));
        errors.AddRange(LoopsWithoutInput(flow));
        return errors;
    }

    private static void ValidateNode(List<FlowError> errors, FlowDefinition flow, string id, FlowNode node, IFlowReferences references)
    {
        if (!NodeKinds.All.Contains(node.Kind))
        {
            errors.Add(new FlowError(id, "kind", $"unknown kind '{node.Kind}'; expected one of {string.Join(", ", NodeKinds.All)}"));
            return;
        }
        var languages = flow.Languages ?? [];
        void Prompt(string field, string? key, bool required)
        {
            if (key is null)
            {
                if (required)
                {
                    errors.Add(new FlowError(id, field, "required"));
                }
                return;
            }
            foreach (var language in languages.Where(l => !references.PromptExists(key, l)))
            {
                errors.Add(new FlowError(id, field, $"prompt '{key}' has no recording in '{language}'"));
            }
        }
        void Edge(string field, string? target, bool required) => RequireNode(errors, flow, id, field, target, required);
        void Positive(string field, int? value, int max)
        {
            if (value is { } v && (v < 1 || v > max))
            {
                errors.Add(new FlowError(id, field, $"must be between 1 and {max}"));
            }
        }

        var prompts = node.Prompts ?? [];
        for (var i = 0; i < prompts.Count; i++)
        {
            Prompt($"prompts[{i}]", prompts[i], required: true);
        }
        Prompt("invalidPrompt", node.InvalidPrompt, required: false);
        Prompt("noInputPrompt", node.NoInputPrompt, required: false);
        Positive("timeoutMs", node.TimeoutMs, 120_000);
        Positive("interDigitTimeoutMs", node.InterDigitTimeoutMs, 60_000);
        if (node.MaxRetries is < 0 or > 10)
        {
            errors.Add(new FlowError(id, "maxRetries", "must be between 0 and 10"));
        }
        if (NodeKinds.IsTerminal(node.Kind) && node.Next is not null && node.Kind != NodeKinds.Queue)
        {
            errors.Add(new FlowError(id, "next", $"a {node.Kind} node ends the IVR and has no next node"));
        }

        switch (node.Kind)
        {
            case NodeKinds.Play:
                if (prompts.Count == 0)
                {
                    errors.Add(new FlowError(id, "prompts", "a play node needs at least one prompt"));
                }
                Edge("next", node.Next, required: true);
                break;
            case NodeKinds.Menu:
                RequirePrompt(errors, id, prompts);
                ValidateDigits(errors, id, node.Options, out var menuOptions);
                foreach (var (digit, target) in menuOptions)
                {
                    Edge($"options.{digit}", target, required: true);
                }
                Edge("exit", node.Exit, required: true);
                break;
            case NodeKinds.Language:
                RequirePrompt(errors, id, prompts);
                ValidateDigits(errors, id, node.Options, out var languageOptions);
                foreach (var (digit, language) in languageOptions.Where(o => !languages.Contains(o.Value)))
                {
                    errors.Add(new FlowError(id, $"options.{digit}", $"language '{language}' is not one of the flow's languages"));
                }
                Edge("next", node.Next, required: true);
                break;
            case NodeKinds.Hours:
                if (string.IsNullOrWhiteSpace(node.Schedule))
                {
                    errors.Add(new FlowError(id, "schedule", "required"));
                }
                else if (!references.ScheduleExists(node.Schedule))
                {
                    errors.Add(new FlowError(id, "schedule", $"unknown schedule '{node.Schedule}'"));
                }
                Edge("open", node.Open, required: true);
                Edge("closed", node.Closed, required: true);
                Edge("holiday", node.Holiday, required: false);
                break;
            case NodeKinds.Input:
                RequirePrompt(errors, id, prompts);
                if (string.IsNullOrWhiteSpace(node.Variable) || !System.Text.RegularExpressions.Regex.IsMatch(node.Variable, "^[a-z][a-z0-9_]{0,31}$"))
                {
                    errors.Add(new FlowError(id, "variable", "required: lower-case letters, digits and _"));
                }
                Positive("maxDigits", node.MaxDigits, 32);
                Edge("next", node.Next, required: true);
                Edge("exit", node.Exit, required: false);
                break;
            case NodeKinds.Queue:
                if (string.IsNullOrWhiteSpace(node.Queue))
                {
                    errors.Add(new FlowError(id, "queue", "required"));
                }
                else if (!references.QueueExists(node.Queue))
                {
                    errors.Add(new FlowError(id, "queue", $"unknown queue '{node.Queue}'"));
                }
                if (node.Priority is < 0 or > 100)
                {
                    errors.Add(new FlowError(id, "priority", "must be between 0 and 100"));
                }
                Edge("next", node.Next, required: false);
                break;
            case NodeKinds.Voicemail:
                if (node.Queue is { } voicemailQueue && !references.QueueExists(voicemailQueue))
                {
                    errors.Add(new FlowError(id, "queue", $"unknown queue '{voicemailQueue}'"));
                }
                break;
            case NodeKinds.TicketStatus:
                RequirePrompt(errors, id, prompts);
                Positive("maxDigits", node.MaxDigits, 32);
                Edge("next", node.Next, required: true);
                break;
            case NodeKinds.Survey:
                RequirePrompt(errors, id, prompts);
                Edge("next", node.Next, required: true);
                break;
            case NodeKinds.Transfer:
                if ((node.Extension is null) == (node.Number is null))
                {
                    errors.Add(new FlowError(id, "extension", "exactly one of extension and number is required"));
                }
                else if (node.Extension is { } extension && !System.Text.RegularExpressions.Regex.IsMatch(extension, "^[A-Za-z0-9_.-]{1,40}$"))
                {
                    errors.Add(new FlowError(id, "extension", "must be a PJSIP endpoint name"));
                }
                else if (node.Number is { } number && !System.Text.RegularExpressions.Regex.IsMatch(number, @"^\+?[0-9]{2,20}$"))
                {
                    errors.Add(new FlowError(id, "number", "must be a phone number of digits, optionally starting with +"));
                }
                else if (node.Number is { } external && !references.ExternalNumberAllowed(external))
                {
                    errors.Add(new FlowError(id, "number", "is not in Ivr:TransferAllowList: the transfer would be refused when a caller reaches it"));
                }
                break;
        }
    }

    private static void RequirePrompt(List<FlowError> errors, string id, IReadOnlyList<string> prompts)
    {
        if (prompts.Count == 0)
        {
            errors.Add(new FlowError(id, "prompts", "the question to play is required"));
        }
    }

    private static void ValidateDigits(List<FlowError> errors, string id, IReadOnlyDictionary<string, string>? options, out IReadOnlyDictionary<string, string> valid)
    {
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options is null || options.Count == 0)
        {
            errors.Add(new FlowError(id, "options", "at least one digit is required"));
        }
        foreach (var (digit, target) in options ?? new Dictionary<string, string>())
        {
            if (!ValidDigits.Contains(digit))
            {
                errors.Add(new FlowError(id, $"options.{digit}", "a key must be one digit 0-9, * or #"));
            }
            else
            {
                kept[digit] = target;
            }
        }
        valid = kept;
    }

    private static void RequireNode(List<FlowError> errors, FlowDefinition flow, string id, string field, string? target, bool required)
    {
        if (target is null)
        {
            if (required)
            {
                errors.Add(new FlowError(id, field, "required"));
            }
        }
        else if (!flow.Nodes.ContainsKey(target))
        {
            errors.Add(new FlowError(id, field, $"leads to '{target}', which is not a node of this flow"));
        }
    }

    /// <summary>Every node a node can lead to.</summary>
    public static IEnumerable<string> Successors(FlowNode node)
    {
        IEnumerable<string?> targets = [node.Next, node.Exit, node.Open, node.Closed, node.Holiday];
        if (node.Kind == NodeKinds.Menu && node.Options is { } options)
        {
            targets = targets.Concat(options.Values);
        }
        return targets.OfType<string>();
    }

    private static HashSet<string> Reachable(FlowDefinition flow)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([flow.Start, .. flow.Fallback is { } f ? [f] : Array.Empty<string>()]);
        while (pending.TryPop(out var id))
        {
            if (flow.Nodes.TryGetValue(id, out var node) && seen.Add(id))
            {
                foreach (var next in Successors(node))
                {
                    pending.Push(next);
                }
            }
        }
        return seen;
    }

    /// <summary>A cycle through nodes none of which waits for a digit would spin forever without the caller's say.</summary>
    private static List<FlowError> LoopsWithoutInput(FlowDefinition flow)
    {
        static bool WaitsForInput(FlowNode node) => node.Kind is NodeKinds.Menu or NodeKinds.Language or NodeKinds.Input or NodeKinds.TicketStatus or NodeKinds.Survey;
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<FlowError>();

        void Visit(string id)
        {
            state[id] = 1;
            foreach (var next in Successors(flow.Nodes[id]).Where(n => flow.Nodes.TryGetValue(n, out var target) && !WaitsForInput(target)))
            {
                if (state.GetValueOrDefault(next) == 1 && reported.Add(next))
                {
                    errors.Add(new FlowError(next, "next", $"loop without input: '{id}' leads back to '{next}' and no node in between waits for the caller"));
                }
                else if (state.GetValueOrDefault(next) == 0)
                {
                    Visit(next);
                }
            }
            state[id] = 2;
        }

        foreach (var id in flow.Nodes.Keys.Order(StringComparer.Ordinal).Where(id => !WaitsForInput(flow.Nodes[id])))
        {
            if (state.GetValueOrDefault(id) == 0)
            {
                Visit(id);
            }
        }
        return errors;
    }

    /// <summary>The parser keeps the last of two equal keys; the raw JSON still shows both.</summary>
    private static List<FlowError> DuplicateDigits(string json)
    {
        var errors = new List<FlowError>();
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Object)
        {
            return errors;
        }
        foreach (var node in nodes.EnumerateObject())
        {
            if (node.Value.ValueKind == JsonValueKind.Object && node.Value.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Object)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var option in options.EnumerateObject().Where(o => !seen.Add(o.Name)))
                {
                    errors.Add(new FlowError(node.Name, $"options.{option.Name}", "the digit is used twice"));
                }
            }
        }
        return errors;
    }
}
