using System.Text.Json;
using CityContact.Service.Infrastructure.Http;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Tickets;

/// <summary>
/// Tickets and their append-only history. Every change locks the ticket's row, checks the move against the
/// current state and writes the change and its history row in one transaction.
/// </summary>
public sealed class TicketStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, number, kind, channel, status, priority, subject, description, citizen_name, citizen_phone, citizen_email,
        category_id, department_id, call_id, assigned_agent_id, duplicate_of_ticket_id, due_at, resolved_at, resolution,
        rating, rated_at, rating_channel, flagged_for_follow_up, recording_ref, latitude, longitude, address, media_url,
        created_at, updated_at
        """;

    /// <summary>
    /// Stores the ticket with the next number of <paramref name="at"/>'s year (<paramref name="numberYear"/>, in the
    /// city's time zone) and its first history row ("created") in one transaction.
    /// </summary>
    public async Task<Ticket> CreateAsync(NewTicket ticket, string numberPrefix, int numberYear, DateTimeOffset at, TicketActor actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var stored = await connection.QuerySingleAsync<Ticket>(new CommandDefinition($"""
            INSERT INTO tickets (number, kind, channel, subject, description, priority, citizen_name, citizen_phone, citizen_email,
                                 category_id, department_id, call_id, due_at, recording_ref, latitude, longitude, address, media_url,
                                 created_at, updated_at)
            VALUES (next_ticket_number(@numberPrefix, @numberYear), @Kind, @Channel, @Subject, @Description, @Priority, @CitizenName,
                    @CitizenPhone, @CitizenEmail, @CategoryId, @DepartmentId, @CallId, @DueAt, @RecordingRef, @Latitude, @Longitude,
                    @Address, @MediaUrl, @at, @at)
            RETURNING {Columns}
            """, new
        {
            numberPrefix,
            numberYear,
            ticket.Kind,
            ticket.Channel,
            ticket.Subject,
            ticket.Description,
            ticket.Priority,
            ticket.CitizenName,
            ticket.CitizenPhone,
            ticket.CitizenEmail,
            ticket.CategoryId,
            ticket.DepartmentId,
            ticket.CallId,
            ticket.DueAt,
            ticket.RecordingRef,
            ticket.Latitude,
            ticket.Longitude,
            ticket.Address,
            ticket.MediaUrl,
            at = at.UtcDateTime,
        }, transaction, cancellationToken: ct));
        await AppendHistoryAsync(connection, transaction, stored.Id, actor, "created", null, stored.Status, null,
            new { stored.Number, stored.Kind, stored.Channel, stored.Priority, stored.CategoryId, stored.DepartmentId, stored.DueAt }, ct);
        await transaction.CommitAsync(ct);
        return stored;
    }

    public async Task<Ticket?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Ticket>(new CommandDefinition(
            $"SELECT {Columns} FROM tickets WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<Ticket?> FindByNumberAsync(string number, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Ticket>(new CommandDefinition(
            $"SELECT {Columns} FROM tickets WHERE number = @number", new { number }, cancellationToken: ct));
    }

    /// <summary>Newest first. <paramref name="now"/> decides what is overdue.</summary>
    public async Task<Page<Ticket>> SearchAsync(TicketFilter filter, PageRequest page, DateTimeOffset now, CancellationToken ct)
    {
        const string Where = """
            WHERE (@statuses::text[] IS NULL OR status = ANY(@statuses))
              AND (@departmentCode::text IS NULL OR department_id = (SELECT id FROM departments WHERE code = @departmentCode))
              AND (@overdue::boolean IS NULL
                   OR @overdue = (due_at IS NOT NULL AND due_at < @now AND status IN ('new', 'assigned', 'in_progress')))
              AND (@from::timestamptz IS NULL OR created_at >= @from)
              AND (@to::timestamptz IS NULL OR created_at < @to)
              AND (@citizenPhone::text IS NULL OR citizen_phone = @citizenPhone)
              AND (@categoryIds::bigint[] IS NULL OR category_id = ANY(@categoryIds))
              AND (@ids::bigint[] IS NULL OR id = ANY(@ids))
            """;
        var parameters = new
        {
            statuses = filter.Statuses?.ToArray(),
            departmentCode = filter.DepartmentCode,
            overdue = filter.Overdue,
            now = now.UtcDateTime,
            from = filter.From,
            to = filter.To,
            citizenPhone = filter.CitizenPhone,
            categoryIds = filter.CategoryIds?.ToArray(),
            ids = filter.Ids?.ToArray(),
            limit = page.Limit,
            offset = page.Offset,
        };
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM tickets {Where}", parameters, cancellationToken: ct));
        var items = await connection.QueryAsync<Ticket>(new CommandDefinition(
            $"SELECT {Columns} FROM tickets {Where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset",
            parameters, cancellationToken: ct));
        return Page.Of([.. items], total, page);
    }

    public async Task<TicketChange> ChangeStatusAsync(long id, StatusChange change, TicketActor actor, CancellationToken ct) =>
        await MutateAsync(id, async (current, connection, transaction) =>
        {
            if (!TicketLifecycle.CanMove(current.Status, change.Status))
            {
                return new TicketChange.Refused(current.Status,
                    $"{TicketStatusWords.WithArticle(current.Status)} ticket cannot move to {change.Status}", TicketLifecycle.AllowedFrom(current.Status));
            }
            var updated = await connection.QuerySingleAsync<Ticket>(new CommandDefinition($"""
                UPDATE tickets SET
                    status = @Status,
                    updated_at = now(),
                    resolution = CASE WHEN @Status = 'resolved' THEN @Resolution ELSE resolution END,
                    duplicate_of_ticket_id = CASE WHEN @Status = 'duplicate' THEN @DuplicateOfTicketId ELSE duplicate_of_ticket_id END,
                    resolved_at = CASE
                        WHEN @Status IN ('resolved', 'rejected', 'duplicate') THEN now()
                        WHEN @Status = 'closed' THEN coalesce(resolved_at, now())
                        ELSE NULL END
                WHERE id = @id RETURNING {Columns}
                """, new { id, change.Status, change.Resolution, change.DuplicateOfTicketId }, transaction, cancellationToken: ct));
            await AppendHistoryAsync(connection, transaction, id, actor, "status_changed", current.Status, updated.Status, change.Note,
                Changes(current, updated), ct);
            return new TicketChange.Applied(updated, current.Status);
        }, ct);

    /// <summary>Sets the assignee; a new ticket becomes assigned. Refused once work on the ticket is finished.</summary>
    public async Task<TicketChange> AssignAsync(long id, long agentId, string? note, TicketActor actor, CancellationToken ct) =>
        await MutateAsync(id, async (current, connection, transaction) =>
        {
            if (!TicketLifecycle.CanAssign(current.Status))
            {
                return new TicketChange.Refused(current.Status,
                    $"{TicketStatusWords.WithArticle(current.Status)} ticket cannot be assigned", TicketLifecycle.AllowedFrom(current.Status));
            }
            var updated = await connection.QuerySingleAsync<Ticket>(new CommandDefinition($"""
                UPDATE tickets SET assigned_agent_id = @agentId, updated_at = now(),
                    status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END
                WHERE id = @id RETURNING {Columns}
                """, new { id, agentId }, transaction, cancellationToken: ct));
            await AppendHistoryAsync(connection, transaction, id, actor, "assigned", current.Status, updated.Status, note, Changes(current, updated), ct);
            return new TicketChange.Applied(updated, current.Status);
        }, ct);

    public async Task<TicketChange> AddNoteAsync(long id, string note, TicketActor actor, CancellationToken ct) =>
        await MutateAsync(id, async (current, connection, transaction) =>
        {
            var updated = await connection.QuerySingleAsync<Ticket>(new CommandDefinition(
                $"UPDATE tickets SET updated_at = now() WHERE id = @id RETURNING {Columns}", new { id }, transaction, cancellationToken: ct));
            await AppendHistoryAsync(connection, transaction, id, actor, "note_added", null, null, note, null, ct);
            return new TicketChange.Applied(updated, current.Status);
        }, ct);

    /// <summary>
    /// Stores the citizen's 1–5 rating of a resolved or closed ticket, once. The ticket is flagged for a supervisor's
    /// follow-up when the rating is below the average of every earlier rating (with none yet: below 3, the scale's middle).
    /// </summary>
    public async Task<TicketChange> RateAsync(long id, short rating, string channel, TicketActor actor, CancellationToken ct) =>
        await MutateAsync(id, async (current, connection, transaction) =>
        {
            if (current.Status is not (TicketStatuses.Resolved or TicketStatuses.Closed))
            {
                return new TicketChange.Refused(current.Status, $"Only a resolved or closed ticket can be rated, this one is {current.Status}",
                    TicketLifecycle.AllowedFrom(current.Status));
            }
            if (current.Rating is not null)
            {
                return new TicketChange.Refused(current.Status, $"The ticket was already rated {current.Rating}", TicketLifecycle.AllowedFrom(current.Status));
            }
            var average = await connection.ExecuteScalarAsync<double?>(new CommandDefinition(
                "SELECT avg(rating)::float8 FROM tickets WHERE rating IS NOT NULL AND id <> @id", new { id }, transaction, cancellationToken: ct));
            var flagged = rating < (average ?? 3.0);
            var updated = await connection.QuerySingleAsync<Ticket>(new CommandDefinition($"""
                UPDATE tickets SET rating = @rating, rated_at = now(), rating_channel = @channel, flagged_for_follow_up = @flagged, updated_at = now()
                WHERE id = @id RETURNING {Columns}
                """, new { id, rating, channel, flagged }, transaction, cancellationToken: ct));
            await AppendHistoryAsync(connection, transaction, id, actor, "rated", null, null, null,
                new { rating, channel, runningAverage = average, flaggedForFollowUp = flagged }, ct);
            return new TicketChange.Applied(updated, current.Status);
        }, ct);

    public async Task<IReadOnlyList<TicketHistoryEntry>> HistoryAsync(long ticketId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<TicketHistoryEntry>(new CommandDefinition("""
            SELECT id, ticket_id, at, actor, actor_key_id, action, from_status, to_status, note, data::text AS data
            FROM ticket_history WHERE ticket_id = @ticketId ORDER BY id
            """, new { ticketId }, cancellationToken: ct))];
    }

    private async Task<TicketChange> MutateAsync(
        long id, Func<Ticket, NpgsqlConnection, NpgsqlTransaction, Task<TicketChange>> change, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var current = await connection.QuerySingleOrDefaultAsync<Ticket>(new CommandDefinition(
            $"SELECT {Columns} FROM tickets WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: ct));
        if (current is null)
        {
            return new TicketChange.NotFound();
        }
        var outcome = await change(current, connection, transaction);
        if (outcome is TicketChange.Applied)
        {
            await transaction.CommitAsync(ct);
        }
        return outcome;
    }

    /// <summary>The fields a change touched, as { field: { from, to } } (personal data never changes here).</summary>
    private static Dictionary<string, object?> Changes(Ticket before, Ticket after)
    {
        var changes = new Dictionary<string, object?>();
        void Compare<T>(string field, T from, T to)
        {
            if (!EqualityComparer<T>.Default.Equals(from, to))
            {
                changes[field] = new { from, to };
            }
        }
        Compare("status", before.Status, after.Status);
        Compare("assignedAgentId", before.AssignedAgentId, after.AssignedAgentId);
        Compare("resolution", before.Resolution, after.Resolution);
        Compare("duplicateOfTicketId", before.DuplicateOfTicketId, after.DuplicateOfTicketId);
        Compare("resolvedAt", before.ResolvedAt, after.ResolvedAt);
        return changes;
    }

    private static Task<int> AppendHistoryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long ticketId, TicketActor actor,
        string action, string? fromStatus, string? toStatus, string? note, object? data, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO ticket_history (ticket_id, actor, actor_key_id, action, from_status, to_status, note, data)
            VALUES (@ticketId, @actorName, @actorKeyId, @action, @fromStatus, @toStatus, @note, @data::jsonb)
            """, new
        {
            ticketId,
            actorName = actor.Name,
            actorKeyId = actor.KeyId,
            action,
            fromStatus,
            toStatus,
            note,
            data = JsonSerializer.Serialize(data ?? new { }, HistoryJson),
        }, transaction, cancellationToken: ct));

    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web);
}

/// <summary>A status in a sentence: "An assigned", "A new", "An in-progress" (it read "A assigned ticket").</summary>
public static class TicketStatusWords
{
    public static string WithArticle(string status)
    {
        var words = status.Replace('_', '-');
        return (words.Length > 0 && "aeiou".Contains(words[0], StringComparison.Ordinal) ? "An " : "A ") + words;
    }
}
