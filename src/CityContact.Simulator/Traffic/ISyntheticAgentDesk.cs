namespace CityContact.Simulator.Traffic;

/// <summary>
/// What a synthetic agent does at their desk rather than on the phone: pause with a reason, come back, and close the
/// wrap-up of a call with a code. The application under test provides it through the same path a person uses (its
/// API or the deskphone's feature codes), so that synthetic agents take breaks and finish wrap-ups as people do.
/// </summary>
public interface ISyntheticAgentDesk
{
    Task PauseAsync(string endpoint, string reason, CancellationToken ct);

    Task UnpauseAsync(string endpoint, CancellationToken ct);

    /// <summary>The after-call work is done: the wrap-up code, and the end of the wrap-up (the service may have ended it already).</summary>
    Task FinishWrapUpAsync(string endpoint, string code, CancellationToken ct);
}

/// <summary>A kind of break an agent takes: its pause reason, how often it is the one taken (weight), and how long it lasts.</summary>
public sealed record AgentBreak(string Reason, double Weight, DurationRange Length);
