using System.Security.Cryptography;
using System.Text;

namespace CityContact.Telephony.Ami;

/// <summary>Logs a fresh connection in, with the plain secret or with Asterisk's MD5 challenge.</summary>
public static class AmiAuthenticator
{
    internal static async Task LoginAsync(AmiConnection connection, AmiOptions options, CancellationToken cancellationToken)
    {
        AmiMessage login;
        if (options.UseMd5Challenge)
        {
            var challenge = await connection.SendAsync(new AmiMessage(("Action", "Challenge"), ("AuthType", "MD5")), options.ActionTimeout, cancellationToken).ConfigureAwait(false);
            if (!challenge.IsSuccess || challenge.Frame["Challenge"] is not { Length: > 0 } nonce)
            {
                throw new AmiAuthenticationException($"AMI refused the MD5 challenge: {challenge.Message ?? "no challenge given"}.");
            }
            login = new AmiMessage(("Action", "Login"), ("AuthType", "MD5"), ("Username", options.User), ("Key", Md5Key(nonce, options.Secret)));
        }
        else
        {
            login = new AmiMessage(("Action", "Login"), ("Username", options.User), ("Secret", options.Secret));
        }

        var response = await connection.SendAsync(login, options.ActionTimeout, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw new AmiAuthenticationException($"AMI login as '{options.User}' refused: {response.Message ?? "no reason given"}.");
        }
    }

    /// <summary>The <c>Key</c> Asterisk expects: lower-case hex MD5 of challenge then secret.</summary>
    public static string Md5Key(string challenge, string secret)
    {
#pragma warning disable CA5351 // MD5 is what the AMI challenge protocol defines; it is not our choice of hash.
        var hash = MD5.HashData(Encoding.UTF8.GetBytes(challenge + secret));
#pragma warning restore CA5351
        return Convert.ToHexStringLower(hash);
    }
}
