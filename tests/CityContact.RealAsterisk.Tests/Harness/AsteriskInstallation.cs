namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>
/// Where the real Asterisk, pjsua and SIPp are. Asterisk: CITYCONTACT_ASTERISK (the binary or the install's wrapper),
/// else <c>asterisk</c> on PATH; either way its install prefix (the binary's grandparent) must hold the
/// <c>directories.conf</c> that dist/install.sh writes, which names the modules and sounds. pjsua: CITYCONTACT_PJSUA,
/// else the same prefix's bin/pjsua. With CITYCONTACT_ASTERISK_REQUIRED=1 a missing piece fails the tests instead of
/// skipping them (scripts/test.sh sets it when it installed Asterisk itself).
/// </summary>
public sealed record AsteriskInstallation(string Asterisk, string Pjsua, string Sipp, IReadOnlyDictionary<string, string> Directories)
{
    private static readonly Lazy<(AsteriskInstallation? Found, string? Missing)> Search = new(Find);

    public static bool Required => Environment.GetEnvironmentVariable("CITYCONTACT_ASTERISK_REQUIRED") == "1";

    /// <summary>Why the suite cannot run here, or null when everything was found.</summary>
    public static string? MissingReason => Search.Value.Missing;

    public static AsteriskInstallation Get() =>
        Search.Value.Found ?? throw new InvalidOperationException($"CITYCONTACT_ASTERISK_REQUIRED=1 but {Search.Value.Missing}");

    /// <summary>The install's own sounds, music on hold and ARI documentation (astvarlibdir of directories.conf).</summary>
    public string VarLib => Directories["astvarlibdir"];

    private static (AsteriskInstallation?, string?) Find()
    {
        var asterisk = Environment.GetEnvironmentVariable("CITYCONTACT_ASTERISK") is { Length: > 0 } configured
            ? configured
            : OnPath("asterisk");
        if (asterisk is null || !File.Exists(asterisk))
        {
            return (null, "no Asterisk found (set CITYCONTACT_ASTERISK to the asterisk binary of a dist/install.sh prefix)");
        }
        var prefix = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(asterisk)))!;
        var directoriesConf = Path.Combine(prefix, "directories.conf");
        if (!File.Exists(directoriesConf))
        {
            return (null, $"{directoriesConf} is missing: install Asterisk with dist/install.sh, which writes it");
        }
        var pjsua = Environment.GetEnvironmentVariable("CITYCONTACT_PJSUA") is { Length: > 0 } p ? p : Path.Combine(prefix, "bin", "pjsua");
        if (!File.Exists(pjsua))
        {
            return (null, $"no pjsua at {pjsua} (set CITYCONTACT_PJSUA)");
        }
        var sipp = OnPath("sipp");
        if (sipp is null)
        {
            return (null, "no sipp on PATH (Debian package sip-tester)");
        }
        return (new AsteriskInstallation(asterisk, pjsua, sipp, ReadDirectories(directoriesConf)), null);
    }

    private static Dictionary<string, string> ReadDirectories(string file) =>
        File.ReadLines(file)
            .Select(line => line.Split("=>", 2, StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}

/// <summary>
/// A fact that needs the real Asterisk: skipped, with the reason, when it is not installed, unless
/// CITYCONTACT_ASTERISK_REQUIRED=1 (then it runs and its fixture fails with that reason).
/// </summary>
public sealed class RealAsteriskFactAttribute : FactAttribute
{
    public RealAsteriskFactAttribute()
    {
        if (!AsteriskInstallation.Required && AsteriskInstallation.MissingReason is { } reason)
        {
            Skip = reason;
        }
    }
}
