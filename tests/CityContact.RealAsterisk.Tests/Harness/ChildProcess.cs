using System.Diagnostics;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>Runs a tool of the test host (asterisk -rx, SIPp, the config renderer) to its end, reading both outputs.</summary>
public static class ChildProcess
{
    /// <summary>Waits for the exit; a cancelled run kills the whole process tree rather than leaving it behind.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo start, CancellationToken ct)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output, await error);
    }
}
