using System.Text.RegularExpressions;

namespace CityContact.AsteriskConfig.Tests.Parsing;

/// <summary>An application a walked call executed, with its arguments as Asterisk would expand them.</summary>
internal sealed record ExecutedApplication(string Context, string Extension, string Application, string Arguments);

/// <summary>
/// Follows a call through the dialplan the way Asterisk would for the few applications
/// CityContact's dialplan uses: variables are expanded, Stasis() sets STASISSTATUS to the
/// outcome chosen by the test, GotoIf/Goto jump, Hangup/Congestion end the call. Any other
/// application is recorded and the call goes on to the next priority.
/// </summary>
internal static partial class DialplanWalk
{
    private const int MaximumSteps = 100;
    private static readonly string[] EndingApplications = ["Hangup", "Congestion", "Busy"];

    public static IReadOnlyList<ExecutedApplication> Run(
        Dialplan plan, string context, string dialed, string stasisStatus, IReadOnlyDictionary<string, string>? channelVariables = null)
    {
        var extension = plan.Match(context, dialed)
            ?? throw new InvalidOperationException($"'{dialed}' matches no extension in [{context}]");
        var variables = new Dictionary<string, string>(plan.Globals) { ["EXTEN"] = dialed };
        foreach (var (name, value) in channelVariables ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        var executed = new List<ExecutedApplication>();
        var priority = 1;
        for (var count = 0; count < MaximumSteps; count++)
        {
            var steps = plan.Contexts[context][extension];
            var step = steps.SingleOrDefault(s => s.Priority == priority);
            if (step is null)
            {
                // Asterisk's autofallthrough: the call is hung up. Tests see it as a missing Hangup.
                return executed;
            }

            var arguments = Expand(step.Arguments, variables);
            executed.Add(new ExecutedApplication(context, extension, step.Application, arguments));
            switch (step.Application)
            {
                case "Stasis":
                    variables["STASISSTATUS"] = stasisStatus;
                    priority++;
                    break;
                case "GotoIf":
                    var jump = ChooseGotoIfBranch(step.Arguments, variables);
                    if (jump is null)
                    {
                        priority++;
                    }
                    else
                    {
                        (context, extension, priority) = Resolve(plan, context, extension, jump);
                        variables["EXTEN"] = extension;
                    }

                    break;
                case "Goto":
                    (context, extension, priority) = Resolve(plan, context, extension, arguments);
                    variables["EXTEN"] = extension;
                    break;
                default:
                    if (EndingApplications.Contains(step.Application))
                    {
                        return executed;
                    }

                    priority++;
                    break;
            }
        }

        throw new InvalidOperationException($"the call did not end within {MaximumSteps} steps");
    }

    /// <summary>${VAR} and Asterisk's substring ${VAR:offset} (what is left after the first offset characters).</summary>
    private static string Expand(string text, Dictionary<string, string> variables) =>
        VariableReference().Replace(text, m =>
        {
            var value = variables.TryGetValue(m.Groups[1].Value, out var found) ? found : "";
            return m.Groups[2].Success ? value[Math.Min(value.Length, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))..] : value;
        });

    /// <summary>The branch GotoIf takes, or null to go on to the next priority.</summary>
    private static string? ChooseGotoIfBranch(string arguments, Dictionary<string, string> variables)
    {
        var match = GotoIfArguments().Match(arguments);
        if (!match.Success)
        {
            throw new FormatException($"unsupported GotoIf({arguments}): expected $[\"${{VAR}}\" = \"VALUE\"]?true[:false]");
        }

        var left = Expand(match.Groups["left"].Value, variables);
        var right = Expand(match.Groups["right"].Value, variables);
        var holds = match.Groups["op"].Value == "=" ? left == right : left != right;
        var branch = holds ? match.Groups["then"] : match.Groups["else"];
        return branch.Success && branch.Value.Length > 0 ? branch.Value : null;
    }

    private static (string Context, string Extension, int Priority) Resolve(Dialplan plan, string context, string extension, string target)
    {
        var parts = target.Split(',', StringSplitOptions.TrimEntries);
        var (targetContext, targetExtension, targetPriority) = parts.Length switch
        {
            1 => (context, extension, parts[0]),
            2 => (context, parts[0], parts[1]),
            3 => (parts[0], parts[1], parts[2]),
            _ => throw new FormatException($"bad Goto target '{target}'"),
        };

        if (!plan.Contexts.TryGetValue(targetContext, out var extensions) || !extensions.TryGetValue(targetExtension, out var steps))
        {
            throw new InvalidOperationException($"Goto target {targetContext},{targetExtension} does not exist");
        }

        if (int.TryParse(targetPriority, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return (targetContext, targetExtension, number);
        }

        var labelled = steps.SingleOrDefault(s => s.Label == targetPriority)
            ?? throw new InvalidOperationException($"label '{targetPriority}' does not exist in {targetContext},{targetExtension}");
        return (targetContext, targetExtension, labelled.Priority);
    }

    [GeneratedRegex(@"\$\{([A-Za-z0-9_()]+)(?::([0-9]+))?\}")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^\$\[\s*(?<left>""[^""]*""|\S+)\s*(?<op>!=|=)\s*(?<right>""[^""]*""|\S+)\s*\]\?(?<then>[^:]*)(:(?<else>.*))?$")]
    private static partial Regex GotoIfArguments();
}
