using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;

namespace CityContact.Service.Tests.Reports;

/// <summary>
/// A real SMTP server for one test class: Debian's python3-aiosmtpd writing every message into a Maildir
/// (scripts/deps.sh installs it). /usr/bin/python3 on purpose: a pyenv python lacks the Debian module.
/// </summary>
public sealed class SmtpServer : IAsyncLifetime
{
    private Process? process;

    public int Port { get; private set; }

    private readonly string directory = Directory.CreateTempSubdirectory("citycontact-smtp-").FullName;

    /// <summary>Created by aiosmtpd's Mailbox handler, which makes new/, cur/ and tmp/ only for a directory that does not exist yet.</summary>
    public string Maildir => Path.Combine(directory, "maildir");

    public async Task InitializeAsync()
    {
        Port = FreePort();
        process = Process.Start(new ProcessStartInfo("/usr/bin/python3",
            ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "aiosmtpd.handlers.Mailbox", Maildir])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("aiosmtpd did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
                return;
            }
            catch (SocketException) when (!process.HasExited)
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"aiosmtpd exited: {await process.StandardError.ReadToEndAsync()}");
            }
        }
    }

    /// <summary>Waits for the next message delivered to the Maildir that was not returned before.</summary>
    public async Task<MimeMessage> NextMessageAsync(ISet<string> seen, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var inbox = Path.Combine(Maildir, "new");
        while (true)
        {
            var file = Directory.Exists(inbox) ? Directory.GetFiles(inbox).FirstOrDefault(f => !seen.Contains(f)) : null;
            if (file is not null)
            {
                seen.Add(file);
                return await MimeMessage.LoadAsync(file, cancellation.Token);
            }
            await Task.Delay(50, cancellation.Token);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process?.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
