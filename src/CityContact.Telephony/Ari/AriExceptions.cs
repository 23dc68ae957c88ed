using System.Net;

namespace CityContact.Telephony.Ari;

/// <summary>
/// Asterisk answered a REST request with an error status. <see cref="AsteriskMessage"/> is the body's
/// <c>message</c>, or its <c>error</c> (500 "Allocation failed" uses that key), or the raw body.
/// </summary>
public class AriException : Exception
{
    public AriException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
        : base($"ARI {method} {path} failed: {(int)statusCode} {reason}: {asteriskMessage}")
    {
        StatusCode = statusCode;
        Reason = reason;
        AsteriskMessage = asteriskMessage;
    }

    public AriException()
    {
        Reason = "";
        AsteriskMessage = "";
    }

    public AriException(string message) : base(message)
    {
        Reason = "";
        AsteriskMessage = "";
    }

    public AriException(string message, Exception innerException) : base(message, innerException)
    {
        Reason = "";
        AsteriskMessage = "";
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The HTTP reason phrase as Asterisk sent it (e.g. "Not found" with a lower-case f for bridges).</summary>
    public string Reason { get; }

    public string AsteriskMessage { get; }
}

/// <summary>400: a parameter is missing or malformed.</summary>
public sealed class AriBadRequestException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

/// <summary>401/403: wrong ARI credentials or a user without the right.</summary>
public sealed class AriAuthenticationException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

/// <summary>
/// 404: the channel, bridge, playback, recording or variable does not exist. On a channel that has just
/// hung up this is an expected race; see <see cref="AriNotFoundExtensions.IgnoreNotFound(Task)"/>.
/// </summary>
public sealed class AriNotFoundException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

/// <summary>405: the resource does not support the method (a client bug, never a call-state race).</summary>
public sealed class AriMethodNotAllowedException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

/// <summary>409: the object is in the wrong state (channel not in Stasis, bridge id taken, …).</summary>
public sealed class AriConflictException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

/// <summary>422: a referenced object in the request (e.g. the channel to add to a bridge) does not exist.</summary>
public sealed class AriUnprocessableException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

/// <summary>500/501/503: Asterisk could not do it (e.g. "Allocation failed" for an unregistered phone).</summary>
public sealed class AriServerErrorException(HttpStatusCode statusCode, string reason, string asteriskMessage, string method, string path)
    : AriException(statusCode, reason, asteriskMessage, method, path);

public static class AriNotFoundExtensions
{
    /// <summary>Runs a request whose target may already be gone; returns false instead of throwing on 404.</summary>
    public static async Task<bool> IgnoreNotFound(this Task request)
    {
        try
        {
            await request;
            return true;
        }
        catch (AriNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Runs a request whose target may already be gone; returns null instead of throwing on 404.</summary>
    public static async Task<T?> IgnoreNotFound<T>(this Task<T> request) where T : class
    {
        try
        {
            return await request;
        }
        catch (AriNotFoundException)
        {
            return null;
        }
    }
}
