namespace CityContact.Telephony.Ami;

/// <summary>The answer to one action: its <c>Response</c> frame and, for event-list actions, the list events (without the <c>…Complete</c> event, kept apart).</summary>
public sealed record AmiResponse(AmiMessage Frame, IReadOnlyList<AmiMessage> Events, AmiMessage? Completion)
{
    public bool IsSuccess =>
        string.Equals(Frame.ResponseStatus, "Success", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Frame.ResponseStatus, "Goodbye", StringComparison.OrdinalIgnoreCase);

    public string? Message => Frame["Message"];

    /// <summary>This response, or an <see cref="AmiActionFailedException"/> when Asterisk answered an error.</summary>
    public AmiResponse EnsureSuccess(string action) => IsSuccess ? this : throw new AmiActionFailedException(action, this);
}
