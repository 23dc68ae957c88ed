using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Emergency;

public static class MemberKinds
{
    public const string Agent = "agent";
    public const string Phone = "phone";
    public const string External = "external";
}

/// <summary>The kinds of a timeline entry: the conference's events and the group's chat messages.</summary>
public static class TimelineKinds
{
    public const string Convened = "convened";
    public const string Rung = "rung";
    public const string Busy = "busy";
    public const string Missed = "missed";
    public const string Joined = "joined";
    public const string Left = "left";
    public const string Muted = "muted";
    public const string Unmuted = "unmuted";
    public const string Dropped = "dropped";
    public const string Ended = "ended";
    public const string Message = "message";
}

public sealed record EmergencyMember(long Id, long GroupId, string Kind, long? AgentId, string Endpoint, string Name);

public sealed record EmergencyGroup(
    long Id, string Name, string ConveneRole, int RingSeconds, int Retries, int RetrySeconds, IReadOnlyList<EmergencyMember> Members);

public sealed record NewEmergencyMember(string Kind, long? AgentId, string Endpoint, string Name);

public sealed record NewEmergencyGroup(string Name, string ConveneRole, int RingSeconds, int Retries, int RetrySeconds, IReadOnlyList<NewEmergencyMember> Members);

public sealed record AllowedNumber(string Number, string Label, string AddedBy, DateTime AddedAt);

public sealed record EmergencyConferenceRow(long Id, long GroupId, string ConvenedBy, string ConvenedVia, string BridgeId, DateTime StartedAt);

public sealed record TimelineEntry(long Id, long GroupId, long? ConferenceId, DateTime At, string Kind, long? MemberId, string? Actor, string? Body);

public sealed record Broadcast(long Id, DateTime At, string Author, long? DepartmentId, string Body);

/// <summary>Groups, members, the allow-list, conferences, the per-group timeline and broadcasts (sql/0090).</summary>
public sealed class EmergencyStore(NpgsqlDataSource dataSource)
{
    private sealed record GroupRow(long Id, string Name, string ConveneRole, int RingSeconds, int Retries, int RetrySeconds);

    public async Task<EmergencyGroup> CreateGroupAsync(NewEmergencyGroup group, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO emergency_groups (name, convene_role, ring_seconds, retries, retry_seconds, created_by)
            VALUES (@Name, @ConveneRole, @RingSeconds, @Retries, @RetrySeconds, @actor) RETURNING id
            """, new { group.Name, group.ConveneRole, group.RingSeconds, group.Retries, group.RetrySeconds, actor }, transaction, cancellationToken: ct));
        foreach (var member in group.Members)
        {
            await InsertMemberAsync(connection, transaction, id, member, ct);
        }
        await transaction.CommitAsync(ct);
        return (await GetGroupAsync(id, ct))!;
    }

    private static Task<long> InsertMemberAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long groupId, NewEmergencyMember member, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO emergency_group_members (group_id, kind, agent_id, endpoint, name)
            VALUES (@groupId, @Kind, @AgentId, @Endpoint, @Name) RETURNING id
            """, new { groupId, member.Kind, member.AgentId, member.Endpoint, member.Name }, transaction, cancellationToken: ct));

    public async Task<EmergencyMember> AddMemberAsync(long groupId, NewEmergencyMember member, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await InsertMemberAsync(connection, null, groupId, member, ct);
        return new EmergencyMember(id, groupId, member.Kind, member.AgentId, member.Endpoint, member.Name);
    }

    public async Task<bool> RemoveMemberAsync(long groupId, long memberId, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE emergency_group_members SET removed_at = @at WHERE id = @memberId AND group_id = @groupId AND removed_at IS NULL
            """, new { groupId, memberId, at }, cancellationToken: ct)) == 1;
    }

    public async Task<EmergencyGroup?> GetGroupAsync(long id, CancellationToken ct) => (await ListGroupsAsync(id, ct)).SingleOrDefault();

    public async Task<IReadOnlyList<EmergencyGroup>> ListGroupsAsync(long? id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var groups = await connection.QueryAsync<GroupRow>(new CommandDefinition("""
            SELECT id, name, convene_role, ring_seconds, retries, retry_seconds FROM emergency_groups
            WHERE @id::bigint IS NULL OR id = @id ORDER BY name
            """, new { id }, cancellationToken: ct));
        var members = (await connection.QueryAsync<EmergencyMember>(new CommandDefinition("""
            SELECT id, group_id, kind, agent_id, endpoint, name FROM emergency_group_members
            WHERE (@id::bigint IS NULL OR group_id = @id) AND removed_at IS NULL ORDER BY id
            """, new { id }, cancellationToken: ct))).ToLookup(m => m.GroupId);
        return [.. groups.Select(g => new EmergencyGroup(g.Id, g.Name, g.ConveneRole, g.RingSeconds, g.Retries, g.RetrySeconds, [.. members[g.Id]]))];
    }

    /// <summary>The groups a deskphone's endpoint (PJSIP/101) is a member of, directly or as an agent's phone.</summary>
    public async Task<IReadOnlyList<long>> GroupsOfEndpointAsync(string endpoint, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT DISTINCT group_id FROM emergency_group_members WHERE endpoint = @endpoint AND removed_at IS NULL
            """, new { endpoint }, cancellationToken: ct))];
    }

    public async Task<IReadOnlyList<AllowedNumber>> ListAllowedNumbersAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<AllowedNumber>(new CommandDefinition(
            "SELECT number, label, added_by, added_at FROM emergency_allowed_numbers ORDER BY number", cancellationToken: ct))];
    }

    public async Task<bool> IsAllowedNumberAsync(string number, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM emergency_allowed_numbers WHERE number = @number)", new { number }, cancellationToken: ct));
    }

    /// <summary>Adds a number, or relabels one already listed.</summary>
    public async Task AllowNumberAsync(string number, string label, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO emergency_allowed_numbers (number, label, added_by) VALUES (@number, @label, @actor)
            ON CONFLICT (number) DO UPDATE SET label = excluded.label
            """, new { number, label, actor }, cancellationToken: ct));
    }

    /// <summary>Refused (false) while a member of some group still uses the number.</summary>
    public async Task<bool?> DisallowNumberAsync(string number, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var used = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM emergency_group_members WHERE kind = 'external' AND endpoint = @number AND removed_at IS NULL)
            """, new { number }, cancellationToken: ct));
        if (used)
        {
            return false;
        }
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM emergency_allowed_numbers WHERE number = @number", new { number }, cancellationToken: ct)) == 1 ? true : null;
    }

    public async Task<EmergencyConferenceRow> StartConferenceAsync(long groupId, string convenedBy, string via, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT nextval('emergency_conferences_id_seq')", transaction: transaction, cancellationToken: ct));
        var row = new EmergencyConferenceRow(id, groupId, convenedBy, via, $"emergency-{id}", at.UtcDateTime);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO emergency_conferences (id, group_id, convened_by, convened_via, bridge_id, started_at)
            VALUES (@Id, @GroupId, @ConvenedBy, @ConvenedVia, @BridgeId, @StartedAt)
            """, row, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return row;
    }

    public async Task<EmergencyConferenceRow?> GetConferenceAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<EmergencyConferenceRow>(new CommandDefinition("""
            SELECT id, group_id, convened_by, convened_via, bridge_id, started_at FROM emergency_conferences WHERE id = @id
            """, new { id }, cancellationToken: ct));
    }

    /// <summary>Conferences with no 'ended' entry: left open by a previous run of the service.</summary>
    public async Task<IReadOnlyList<EmergencyConferenceRow>> UnendedConferencesAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<EmergencyConferenceRow>(new CommandDefinition("""
            SELECT c.id, c.group_id, c.convened_by, c.convened_via, c.bridge_id, c.started_at FROM emergency_conferences c
            WHERE NOT EXISTS (SELECT 1 FROM emergency_timeline t WHERE t.conference_id = c.id AND t.kind = 'ended')
            """, cancellationToken: ct))];
    }

    public async Task<TimelineEntry> AppendAsync(long groupId, long? conferenceId, DateTimeOffset at, string kind, long? memberId, string? actor, string? body, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO emergency_timeline (group_id, conference_id, at, kind, member_id, actor, body)
            VALUES (@groupId, @conferenceId, @at, @kind, @memberId, @actor, @body) RETURNING id
            """, new { groupId, conferenceId, at, kind, memberId, actor, body }, cancellationToken: ct));
        return new TimelineEntry(id, groupId, conferenceId, at.UtcDateTime, kind, memberId, actor, body);
    }

    public async Task<IReadOnlyList<TimelineEntry>> TimelineAsync(long groupId, long? conferenceId, long afterId, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<TimelineEntry>(new CommandDefinition("""
            SELECT id, group_id, conference_id, at, kind, member_id, actor, body FROM emergency_timeline
            WHERE group_id = @groupId AND (@conferenceId::bigint IS NULL OR conference_id = @conferenceId) AND id > @afterId
            ORDER BY id LIMIT @limit
            """, new { groupId, conferenceId, afterId, limit }, cancellationToken: ct))];
    }

    public async Task<Broadcast> AddBroadcastAsync(string author, long? departmentId, string body, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO broadcasts (at, author, department_id, body) VALUES (@at, @author, @departmentId, @body) RETURNING id
            """, new { at, author, departmentId, body }, cancellationToken: ct));
        return new Broadcast(id, at.UtcDateTime, author, departmentId, body);
    }

    /// <summary>Broadcasts for all agents and, when <paramref name="departmentId"/> is given, for that department.</summary>
    public async Task<IReadOnlyList<Broadcast>> BroadcastsAsync(long? departmentId, long afterId, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Broadcast>(new CommandDefinition("""
            SELECT id, at, author, department_id, body FROM broadcasts
            WHERE id > @afterId AND (department_id IS NULL OR department_id = @departmentId)
            ORDER BY id LIMIT @limit
            """, new { departmentId, afterId, limit }, cancellationToken: ct))];
    }

    public async Task<bool> DepartmentExistsAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM departments WHERE id = @id)", new { id }, cancellationToken: ct));
    }
}
