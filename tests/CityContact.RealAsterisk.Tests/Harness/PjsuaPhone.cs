using System.Diagnostics;
using System.Net;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>How the deskphone answers calls Asterisk sends it.</summary>
public enum PhoneAnswer
{
    /// <summary>Answers at once (200).</summary>
    AutoAnswer,

    /// <summary>Refuses as busy (486).</summary>
    Busy,

    /// <summary>Rings until the call is cancelled.</summary>
    Ring,
}

/// <summary>
/// An agent's deskphone: pjsua registered to Asterisk as 101–104 with the rendered password, null audio; or the citizen's
/// phone behind the trunk (<see cref="StartCitizen"/>). Its stdin stays open (pjsua reads commands there, as a user types
/// them, and quits at end of input); its output is kept so a test waits for a state line.
/// </summary>
public sealed class PjsuaPhone : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _changed = new(0);
    private readonly AsteriskInstance _asterisk;

    private PjsuaPhone(Process process, string extension, AsteriskInstance asterisk)
    {
        _process = process;
        Extension = extension;
        _asterisk = asterisk;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Extension { get; }

    /// <summary>Everything pjsua printed so far, for a failure message.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <param name="hangUpAfterSeconds">When set, the phone hangs up that long after answering.</param>
    public static PjsuaPhone Start(AsteriskInstance asterisk, string extension, PhoneAnswer answer, string? password = null, int? hangUpAfterSeconds = null)
    {
        var sip = $"127.0.0.1:{asterisk.Layout.SipPort}";
        return Launch(asterisk, extension, answer, hangUpAfterSeconds,
        [
            "--id", $"sip:{extension}@{sip}", "--registrar", $"sip:{sip}", "--realm", "*",
            "--username", extension, "--password", password ?? asterisk.AgentPassword(extension),
            "--local-port", FreePorts.Udp(IPAddress.Loopback).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bound-addr", "127.0.0.1", "--ip-addr", "127.0.0.1",
        ]);
    }

    /// <summary>
    /// The citizen's phone behind the provider: no registration, listening where pjsip.conf sends the trunk's calls (the
    /// trunk address, port 5060), answering as told; with <paramref name="hangUpAfterSeconds"/> it hangs up that long after answering.
    /// </summary>
    public static PjsuaPhone StartCitizen(AsteriskInstance asterisk, PhoneAnswer answer, int? hangUpAfterSeconds = null)
    {
        var trunk = asterisk.TrunkAddress.ToString();
        return Launch(asterisk, "citizen", answer, hangUpAfterSeconds,
            ["--local-port", "5060", "--bound-addr", trunk, "--ip-addr", trunk]);
    }

    private static PjsuaPhone Launch(AsteriskInstance asterisk, string name, PhoneAnswer answer, int? duration, IReadOnlyList<string> account)
    {
        // stdbuf: pjsua writes its log with stdio, block-buffered into a pipe; line by line the states arrive when they happen.
        var start = new ProcessStartInfo("stdbuf")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "-oL", "-eL", asterisk.Installation.Pjsua },
        };
        foreach (var argument in account)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var argument in new[] { "--no-tcp", "--null-audio", "--rtp-port", FreePorts.UdpRange(8).ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }
        if (duration is { } seconds)
        {
            start.ArgumentList.Add($"--duration={seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        switch (answer)
        {
            case PhoneAnswer.AutoAnswer:
                start.ArgumentList.Add("--auto-answer=200");
                break;
            case PhoneAnswer.Busy:
                start.ArgumentList.Add("--auto-answer=486");
                break;
        }
        return new PjsuaPhone(Process.Start(start) ?? throw new InvalidOperationException("pjsua did not start"), name, asterisk);
    }

    /// <summary>How many lines pjsua printed so far: a later wait can look only at what comes after.</summary>
    public int LineCount
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>Dials <paramref name="uri"/> as the user would (pjsua's <c>m</c> command, then the address).</summary>
    public async Task DialAsync(string uri, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync("m".AsMemory(), ct);
        await _process.StandardInput.WriteLineAsync(uri.AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
    }

    /// <summary>Keys pressed during the current call, sent as RFC 4733 events (pjsua's <c>#</c> command).</summary>
    public async Task SendDigitsAsync(string digits, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync("#".AsMemory(), ct);
        await _process.StandardInput.WriteLineAsync(digits.AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
    }

    /// <summary>The phone is switched off: pjsua unregisters and quits (as at the end of a shift, or a phone taken away).</summary>
    public async Task QuitAsync(CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync("q".AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        await _process.WaitForExitAsync(ct);
    }

    /// <summary>Waits for the registrar's answer; true on 200, false when the credentials are refused.</summary>
    public async Task<bool> RegisteredAsync(CancellationToken ct)
    {
        var line = await WaitForLineAsync(l => l.Contains("registration success", StringComparison.Ordinal)
            || l.Contains("SIP registration error", StringComparison.Ordinal), ct);
        return line.Contains("registration success", StringComparison.Ordinal);
    }

    /// <summary>Waits for a line of pjsua's output that matches, e.g. a call state ("state changed to CONFIRMED").</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, CancellationToken ct) => WaitForLineAsync(match, 0, ct);

    /// <summary>Waits for a matching line among those printed from line <paramref name="from"/> on (see <see cref="LineCount"/>).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, int from, CancellationToken ct)
    {
        var seen = from;
        while (true)
        {
            string[] lines;
            lock (_lines)
            {
                lines = _lines.Skip(seen).ToArray();
            }
            seen += lines.Length;
            if (lines.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"pjsua {Extension} exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                // Woken by each new line; the timeout only notices an exit that printed nothing more.
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(500), ct);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"pjsua {Extension} never printed the awaited line; its output:\n{Output}\nAsterisk's log:\n{_asterisk.LogTail(20)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.StandardInput.WriteLineAsync("q");
                await _process.StandardInput.FlushAsync(timeout.Token);
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        _process.Dispose();
        _changed.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
        }
        _changed.Release();
    }
}
