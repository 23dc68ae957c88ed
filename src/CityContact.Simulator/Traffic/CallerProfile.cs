namespace CityContact.Simulator.Traffic;

/// <summary>Everything drawn for one synthetic caller when they arrive.</summary>
/// <param name="MenuKeys">Keys pressed on the first prompts heard, in order.</param>
/// <param name="Patience">How long they wait in a holding bridge before hanging up.</param>
/// <param name="VoicemailLength">How long they speak when a recording starts, or null if they do not leave messages.</param>
/// <param name="CallbackAfter">Time in the queue before asking for a callback, or null if they do not.</param>
/// <param name="ReactionSeed">Seeds their reaction delays.</param>
internal sealed record CallerProfile(
    string From,
    string To,
    IReadOnlyList<string> MenuKeys,
    TimeSpan Patience,
    TimeSpan? VoicemailLength,
    TimeSpan? CallbackAfter,
    int ReactionSeed)
{
    public static CallerProfile Draw(Random random, SyntheticTrafficOptions options, IReadOnlyList<KeyValuePair<string, double>> menuChoices) => new(
        From: options.CallerNumberPrefix + random.Next(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
        To: options.CalledNumbers[random.Next(options.CalledNumbers.Count)],
        MenuKeys: Enumerable.Range(0, options.MenuDepth).Select(_ => random.Pick(menuChoices)).ToArray(),
        Patience: random.Exponential(options.MeanPatience),
        VoicemailLength: random.Chance(options.VoicemailShare) ? random.Between(options.VoicemailLength) : null,
        CallbackAfter: random.Chance(options.CallbackShare) ? random.Between(options.CallbackAfter) : null,
        ReactionSeed: random.Next());
}
