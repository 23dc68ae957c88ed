namespace CityContact.Telephony.Ami;

public class AmiException : Exception
{
    public AmiException(string message)
        : base(message)
    {
    }

    public AmiException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The connection to Asterisk was lost (or never there) while the action was pending.</summary>
public sealed class AmiDisconnectedException : AmiException
{
    public AmiDisconnectedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>No response (or, for a list, no <c>…Complete</c> event) within the action timeout.</summary>
public sealed class AmiActionTimeoutException : AmiException
{
    public AmiActionTimeoutException(string action, string actionId, TimeSpan timeout)
        : base($"AMI action {action} ({actionId}) got no complete answer within {timeout.TotalSeconds:0.###} s.")
    {
        Action = action;
        ActionId = actionId;
    }

    public string Action { get; }

    public string ActionId { get; }
}

/// <summary>Asterisk refused the login (wrong user or secret, or the challenge failed).</summary>
public sealed class AmiAuthenticationException : AmiException
{
    public AmiAuthenticationException(string message)
        : base(message)
    {
    }
}

/// <summary>Asterisk answered <c>Response: Error</c>; <see cref="Exception.Message"/> carries Asterisk's <c>Message</c>.</summary>
public sealed class AmiActionFailedException : AmiException
{
    public AmiActionFailedException(string action, AmiResponse response)
        : base($"AMI action {action} failed: {response.Message ?? "(no message)"}")
    {
        Action = action;
        Response = response;
    }

    public string Action { get; }

    public AmiResponse Response { get; }
}
