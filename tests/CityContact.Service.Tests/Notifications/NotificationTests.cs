using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using CityContact.Service.Tests.Tickets;

namespace CityContact.Service.Tests.Notifications;

/// <summary>A real SMTP server (Debian's aiosmtpd) whose Debugging handler prints each message; messages are read from its output.</summary>
public sealed class SmtpServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Channel<string> messages = Channel.CreateUnbounded<string>();
    private readonly List<string> current = [];

    private SmtpServerProcess(int port)
    {
        Port = port;
        process = Process.Start(new ProcessStartInfo("/usr/bin/python3",
            ["-u", "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Debugging", "stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.OutputDataReceived += (_, line) => OnLine(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public static async Task<SmtpServerProcess> StartAsync()
    {
        var server = new SmtpServerProcess(FreePort());
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, server.Port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !server.process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task<string> NextMessageAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await messages.Reader.ReadAsync(cancel.Token);
    }

    private void OnLine(string? line)
    {
        switch (line)
        {
            case null:
                return;
            case var start when start.Contains("MESSAGE FOLLOWS", StringComparison.Ordinal):
                current.Clear();
                return;
            case var end when end.Contains("END MESSAGE", StringComparison.Ordinal):
                messages.Writer.TryWrite(string.Join('\n', current));
                return;
            default:
                current.Add(line);
                return;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}

/// <summary>An SMS gateway on a real socket: records each request and answers the planned statuses in turn (then 200).</summary>
public sealed class SmsGatewayServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public SmsGatewayServer()
    {
        Port = SmtpServerProcess.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public sealed record Received(string? Authorization, string? IdempotencyKey, JsonElement Body, int AnsweredStatus);

    public int Port { get; }

    public ConcurrentQueue<int> PlannedStatuses { get; } = new();

    public Channel<Received> Requests { get; } = Channel.CreateUnbounded<Received>();

    public async Task<Received> NextAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await Requests.Reader.ReadAsync(cancel.Token);
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.InputStream);
            var status = PlannedStatuses.TryDequeue(out var planned) ? planned : 200;
            context.Response.StatusCode = status;
            context.Response.Close();
            Requests.Writer.TryWrite(new Received(context.Request.Headers["Authorization"], context.Request.Headers["Idempotency-Key"], body, status));
        }
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await loop;
    }
}

public sealed class NotificationFixture : TicketServiceFixture
{
    public SmtpServerProcess Smtp { get; private set; } = null!;

    public SmsGatewayServer Sms { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Notifications:Notifiers"] = "email, sms",
        ["Notifications:FirstRetrySeconds"] = "0.05",
        ["Notifications:Attempts"] = "3",
        ["Notifications:Sms:Url"] = $"http://127.0.0.1:{Sms.Port}/send",
        ["Notifications:Sms:AuthValue"] = "Bearer gateway-secret",
        ["Smtp:Host"] = "127.0.0.1",
        ["Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Smtp:From"] = "tickets@city.example",
    };

    public override async Task InitializeAsync()
    {
        Smtp = await SmtpServerProcess.StartAsync();
        try
        {
            await base.InitializeAsync();
        }
        catch
        {
            // xUnit does not dispose a fixture whose start failed: stop the servers here, or they outlive the run.
            await Sms.DisposeAsync();
            await Smtp.DisposeAsync();
            throw;
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Sms.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

public sealed class NotificationTests(NotificationFixture service) : IClassFixture<NotificationFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<(HttpClient Agent, long TicketId, string Number)> TicketAsync(string phone, string email)
    {
        service.Clock.Now = DateTimeOffset.UtcNow;
        var department = await service.NewDepartmentAsync($"n-{Guid.NewGuid():N}"[..20]);
        var category = await service.NewCategoryAsync($"n-{Guid.NewGuid():N}"[..20], department);
        var (_, _, key) = await service.NewKeyAsync("agent");
        var agent = service.Client(key);
        var response = await agent.PostAsJsonAsync("/api/tickets", new
        {
            kind = "request", description = "Tree fallen on the pavement", categoryId = category,
            citizenName = "Elena", citizenPhone = phone, citizenEmail = email,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (agent, ticket.GetProperty("id").GetInt64(), ticket.GetProperty("number").GetString()!);
    }

    [Fact]
    public async Task A_resolved_ticket_is_emailed_to_the_citizen_over_smtp()
    {
        var (agent, id, number) = await TicketAsync("+40744100100", "elena@example.org");
        Assert.Equal(HttpStatusCode.OK, (await agent.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { resolution = "Tree removed" })).StatusCode);

        var message = await service.Smtp.NextMessageAsync(Patience);
        Assert.Contains($"Subject: Ticket {number}: resolved", message, StringComparison.Ordinal);
        Assert.Contains("To: elena@example.org", message, StringComparison.Ordinal);
        Assert.Contains("From: tickets@city.example", message, StringComparison.Ordinal);
        Assert.Contains("Tree removed", message, StringComparison.Ordinal);
        // The SMS went out too, for the same change.
        var sms = await service.Sms.NextAsync(Patience);
        Assert.Equal(number, sms.Body.GetProperty("reference").GetString());
    }

    [Fact]
    public async Task A_failing_sms_gateway_is_retried_with_the_same_idempotency_key_and_never_undoes_the_change()
    {
        var (agent, id, number) = await TicketAsync("0744 200 200", "someone@example.org");
        service.Sms.PlannedStatuses.Enqueue(503);

        var changed = await agent.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "in_progress" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("in_progress", (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        var first = await service.Sms.NextAsync(Patience);
        var retry = await service.Sms.NextAsync(Patience);
        Assert.Equal((503, 200), (first.AnsweredStatus, retry.AnsweredStatus));
        Assert.Equal("Bearer gateway-secret", first.Authorization);
        Assert.Equal("+40744200200", first.Body.GetProperty("to").GetString());
        Assert.Equal(number, first.Body.GetProperty("reference").GetString());
        Assert.Contains(number, first.Body.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(first.IdempotencyKey));
        Assert.Equal(first.IdempotencyKey, retry.IdempotencyKey);
        await service.Smtp.NextMessageAsync(Patience);

        var ticket = await service.Admin.GetFromJsonAsync<JsonElement>($"/api/tickets/{id}");
        Assert.Equal("in_progress", ticket.GetProperty("status").GetString());
    }
}
