using System.Collections.Concurrent;
using System.Globalization;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Features.Voicemail;

/// <summary>What one pass over the fallback mailbox did.</summary>
public sealed record FallbackImportResult(int Imported, int AlreadyImported, int Malformed, int Failed);

/// <summary>
/// Turns the messages Asterisk's dialplan left in the fallback mailbox while the service was down
/// (<c>Voicemail:FallbackSpoolDirectory</c>/context/mailbox/INBOX and Urgent) into callback tickets: at start-up, then
/// every <c>Voicemail:FallbackScanSeconds</c>. Each message's recording is copied into Asterisk's stored recordings
/// (so GET /api/tickets/{id}/recording serves it through ARI), the ticket filed for the caller's number and the
/// fallback department, and a callback requested for the next opening. Its files then move to the mailbox's
/// <c>imported</c> folder; when the service may not write there they stay, and the database alone keeps them from
/// being imported twice.
/// </summary>
/// <remarks>
/// Crash safety: the claim row (INSERT ... ON CONFLICT DO NOTHING) commits together with the ticket's id; the ticket and
/// the callback request commit on their own connections before it. A process that dies in between leaves no claim, so
/// the next pass claims the message again, finds the ticket by its recording's name instead of filing a second one, and
/// asks for the callback again (the scheduler keeps one open request per ticket). Another instance importing the same
/// message waits on the uncommitted claim, then finds it taken.
/// </remarks>
public sealed partial class FallbackVoicemailImporter(
    FallbackVoicemailStore store,
    TicketService tickets,
    TicketStore ticketStore,
    SlaDeadlines calendars,
    IOptions<VoicemailOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<FallbackVoicemailImporter> logger,
    ICallbackScheduler? callbacks = null) : BackgroundService
{
    public static readonly TicketActor Actor = new("fallback-voicemail");

    /// <summary>The folders app_voicemail files a new message into.</summary>
    private static readonly string[] NewMessageFolders = ["INBOX", "Urgent"];

    private readonly SemaphoreSlim _onePass = new(1, 1);

    /// <summary>Malformed files already logged (by path and write time): a file is reported once, not at every pass.</summary>
    private readonly ConcurrentDictionary<(string Path, DateTime Written), bool> _reported = new();

    private bool _readOnlyReported;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.FallbackMailboxDirectory() is not { } mailbox)
        {
            return;
        }
        // The first pass waits for the whole service (migrations, the seeded departments) to be up.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        LogWatching(mailbox, settings.FallbackScanSeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.FallbackScanSeconds), time);
        do
        {
            try
            {
                await ImportOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass over the mailbox (one at a time per instance); an instance with the import off imports nothing.</summary>
    public async Task<FallbackImportResult> ImportOnceAsync(CancellationToken ct)
    {
        var settings = options.Value;
        if (settings.FallbackMailboxDirectory() is not { } mailbox)
        {
            return new FallbackImportResult(0, 0, 0, 0);
        }
        await _onePass.WaitAsync(ct);
        try
        {
            int imported = 0, already = 0, malformed = 0, failed = 0;
            foreach (var file in MessageFiles(mailbox))
            {
                switch (await ImportAsync(file, mailbox, settings, ct))
                {
                    case Outcome.Imported: imported++; break;
                    case Outcome.AlreadyImported: already++; break;
                    case Outcome.Malformed: malformed++; break;
                    case Outcome.Failed: failed++; break;
                }
            }
            // Malformed files are reported once each (ReportMalformed), not in every pass's summary.
            if (imported + failed > 0)
            {
                LogPass(imported, already, malformed, failed);
            }
            return new FallbackImportResult(imported, already, malformed, failed);
        }
        finally
        {
            _onePass.Release();
        }
    }

    private enum Outcome { Gone, Imported, AlreadyImported, Malformed, Failed }

    private static List<string> MessageFiles(string mailbox) =>
        NewMessageFolders
            .Select(folder => Path.Combine(mailbox, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "msg*.txt").Order(StringComparer.Ordinal))
            .ToList();

    private async Task<Outcome> ImportAsync(string textFile, string mailbox, VoicemailOptions settings, CancellationToken ct)
    {
        FallbackMessage message;
        try
        {
            message = FallbackMessageFile.Parse(await File.ReadAllTextAsync(textFile, ct));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Outcome.Gone; // another instance moved it away between the listing and the read
        }
        catch (FormatException e)
        {
            ReportMalformed(textFile, e.Message);
            return Outcome.Malformed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Asterisk renames the file into INBOX before it opens its permissions; a wrong group stays unreadable.
            LogUnreadable(Path.GetFileName(textFile), e.Message);
            return Outcome.Failed;
        }
        try
        {
            if (await store.IsImportedAsync(message.Key, ct))
            {
                MoveToImported(textFile, mailbox, message.Key);
                return Outcome.AlreadyImported;
            }
            var audio = Path.ChangeExtension(textFile, ".wav");
            if (!File.Exists(audio))
            {
                if (!File.Exists(textFile))
                {
                    return Outcome.Gone;
                }
                ReportMalformed(textFile, "no .wav recording next to it");
                return Outcome.Malformed;
            }
            var recordingName = $"{settings.RecordingPrefix}fallback-{message.Key}";
            await CopyToRecordingsAsync(audio, settings.RecordingsDirectory, recordingName, ct);
            await using (var claim = await store.ClaimAsync(message, settings.FallbackMailbox, ct))
            {
                if (claim is null)
                {
                    return Outcome.AlreadyImported;
                }
                var ticket = await claim.TicketOfRecordingAsync(recordingName, ct) is { } earlier
                    ? await ticketStore.GetAsync(earlier, ct) ?? throw new InvalidOperationException($"ticket {earlier} vanished")
                    : await FileTicketAsync(message, recordingName, settings, ct);
                await RequestCallbackAsync(ticket, ct);
                await claim.CompleteAsync(ticket.Id, ct);
                LogImported(message.Key, ticket.Number, Tickets.PhoneNumbers.Mask(ticket.CitizenPhone), message.DurationSeconds);
            }
            MoveToImported(textFile, mailbox, message.Key);
            return Outcome.Imported;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && !File.Exists(textFile))
        {
            return Outcome.Gone; // another instance imported it and moved its files while this one was reading them
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Whatever went wrong with this message (database, disk, a refused draft), the others still get their turn.
            LogImportFailed(Path.GetFileName(textFile), message.Key, e.GetType().Name, e.Message);
            return Outcome.Failed;
        }
    }

    private async Task<Ticket> FileTicketAsync(FallbackMessage message, string recordingName, VoicemailOptions settings, CancellationToken ct)
    {
        var departmentId = await store.DepartmentIdAsync(settings.FallbackDepartmentCode, ct);
        if (departmentId is null)
        {
            LogNoDepartment(settings.FallbackDepartmentCode, message.Key);
        }
        var length = message.DurationSeconds is { } seconds ? string.Create(CultureInfo.InvariantCulture, $", {seconds} s") : "";
        return await tickets.CreateAsync(new TicketDraft(
            TicketKinds.Callback,
            TicketChannels.Voicemail,
            "Voicemail message left while the service was unavailable",
            string.Create(CultureInfo.InvariantCulture, $"Left in the fallback mailbox on {message.LeftAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC{length}."),
            DepartmentId: departmentId,
            CitizenName: message.CallerName,
            CitizenPhone: message.CallerNumber,
            RecordingRef: recordingName), Actor, ct);
    }

    /// <summary>As for a message left in the IVR: the next opening of the department's hours, now during them.</summary>
    private async Task RequestCallbackAsync(Ticket ticket, CancellationToken ct)
    {
        if (callbacks is null || ticket.CitizenPhone is null || ticket.DepartmentId is not { } department)
        {
            LogCallbackNotRequested(ticket.Number);
            return;
        }
        var notBefore = (await calendars.CalendarForAsync(department, ct)).Add(time.GetUtcNow(), TimeSpan.Zero);
        try
        {
            await callbacks.RequestAsync(new CallbackRequest(department, ticket.CitizenPhone, ticket.Id, null, notBefore, 0), ct);
        }
        catch (CallbackRefusedException)
        {
            // The scheduler logged the refusal and noted it on the ticket; the message stays for an agent to follow up.
        }
    }

    /// <summary>
    /// Written under a temporary name and renamed, so Asterisk never serves half a file; the name is the message's, so
    /// a second copy (a retried or concurrent import) replaces the first with the same bytes.
    /// </summary>
    private static async Task CopyToRecordingsAsync(string audio, string recordings, string name, CancellationToken ct)
    {
        Directory.CreateDirectory(recordings);
        var target = Path.Combine(recordings, name + ".wav");
        var temporary = Path.Combine(recordings, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var source = File.OpenRead(audio))
            await using (var copy = File.Create(temporary))
            {
                await source.CopyToAsync(copy, ct);
            }
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// The message's files (msgNNNN.wav, .txt and any other format) go to <c>imported/&lt;key&gt;.*</c>, the .txt last:
    /// Asterisk numbers new messages after the .txt files it sees, and reuses msgNNNN once it is gone.
    /// </summary>
    private void MoveToImported(string textFile, string mailbox, string key)
    {
        var folder = Path.Combine(mailbox, "imported");
        var stem = Path.GetFileNameWithoutExtension(textFile);
        try
        {
            Directory.CreateDirectory(folder);
            var files = Directory.EnumerateFiles(Path.GetDirectoryName(textFile)!, stem + ".*")
                .OrderBy(f => f == textFile)
                .ToList();
            foreach (var file in files)
            {
                File.Move(file, Path.Combine(folder, key + Path.GetExtension(file)), overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_readOnlyReported)
            {
                _readOnlyReported = true;
                LogSpoolReadOnly(mailbox, e.Message);
            }
        }
    }

    private void ReportMalformed(string file, string reason)
    {
        var written = File.Exists(file) ? File.GetLastWriteTimeUtc(file) : default;
        if (_reported.TryAdd((file, written), true))
        {
            LogMalformed(file, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fallback voicemail: reading {Mailbox} now and every {Seconds} s")]
    private partial void LogWatching(string mailbox, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fallback voicemail: {Imported} imported, {Already} already imported, {Malformed} malformed, {Failed} failed")]
    private partial void LogPass(int imported, int already, int malformed, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fallback voicemail {MessageKey} ({Seconds} s) from {CallerPhone} is ticket {TicketNumber}")]
    private partial void LogImported(string messageKey, string ticketNumber, string callerPhone, int? seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fallback voicemail file {File} skipped: {Reason}")]
    private partial void LogMalformed(string file, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fallback voicemail {File} ({MessageKey}) not imported, tried again at the next pass: {Error} {Detail}")]
    private partial void LogImportFailed(string file, string messageKey, string error, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fallback voicemail file {File} cannot be read, tried again at the next pass: {Error}")]
    private partial void LogUnreadable(string file, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fallback voicemail: department {DepartmentCode} does not exist; message {MessageKey} becomes a ticket without department")]
    private partial void LogNoDepartment(string departmentCode, string messageKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketNumber}: no callback requested (no scheduler, caller number or department); a supervisor must plan it")]
    private partial void LogCallbackNotRequested(string ticketNumber);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fallback voicemail: imported files stay in {Mailbox} (cannot move them: {Error}); the database keeps them from being imported twice")]
    private partial void LogSpoolReadOnly(string mailbox, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fallback voicemail pass failed; the next pass tries again")]
    private partial void LogPassFailed(Exception exception);
}
