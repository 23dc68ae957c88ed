using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CityContact.Service.Features.Auth;

/// <summary>
/// Key format: <c>cck_&lt;8 hex id&gt;_&lt;43 chars base64url of 32 random bytes&gt;</c>. The prefix up to the id is
/// public (stored, listed, logged as the actor); the database keeps only SHA-256 of the whole key, which is
/// enough for a 256-bit random secret (no password stretching needed).
/// </summary>
public static class ApiKeySecret
{
    public const string BootstrapPrefix = "bootstrap";
    private const string Marker = "cck_";
    private const int PrefixLength = 12; // "cck_" + 8 hex
    private const int KeyLength = PrefixLength + 1 + 43;

    public static (string Prefix, string Key) Generate()
    {
        var prefix = Marker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (prefix, $"{prefix}_{secret}");
    }

    /// <summary>The stored prefix a presented key would belong to; any other shape can only be the bootstrap key.</summary>
    public static string PrefixOf(string presented) =>
        presented.Length == KeyLength && presented.StartsWith(Marker, StringComparison.Ordinal) && presented[PrefixLength] == '_'
            ? presented[..PrefixLength]
            : BootstrapPrefix;

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool Matches(string presented, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(presented), storedHash);
}
