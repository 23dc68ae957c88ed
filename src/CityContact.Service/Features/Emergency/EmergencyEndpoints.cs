using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CityContact.Service.Features.Emergency;

public sealed record MemberRequest(string? Kind, long? AgentId, string? Endpoint, string? Name);

public sealed record GroupRequest(string? Name, string? ConveneRole, int? RingSeconds, int? Retries, int? RetrySeconds, IReadOnlyList<MemberRequest>? Members);

public sealed record AllowedNumberRequest(string? Number, string? Label);

public sealed record MessageRequest(string? Text);

public sealed record BroadcastRequest(string? Text, long? DepartmentId);

public sealed record RingMemberRequest(long? MemberId);

/// <summary>
/// Emergency groups (admin defines them), their conferences (convened by a role the group names; mute, add, drop, end),
/// the group's timeline and chat with a live stream, and supervisors' broadcasts to agents.
/// </summary>
public static partial class EmergencyEndpoints
{
    private const int MaxText = 4000;

    public static void AddEmergency(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<EmergencyOptions>, EmergencyOptionsValidator>();
        builder.Services.AddOptions<EmergencyOptions>().BindConfiguration(EmergencyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<EmergencyStore>();
        builder.Services.AddSingleton<LiveFeed<TimelineEntry>>();
        builder.Services.AddSingleton<LiveFeed<Broadcast>>();
        builder.Services.AddSingleton<EmergencyConferences>();
        builder.Services.AddSingleton<IStasisListener>(s => s.GetRequiredService<EmergencyConferences>());
        // Registered after the telephony host, so stopped before it: conferences end while ARI is still there.
        builder.Services.AddHostedService(s => s.GetRequiredService<EmergencyConferences>());
    }

    public static void MapEmergency(this IEndpointRouteBuilder endpoints)
    {
        var numbers = endpoints.MapGroup("/api/emergency/allowed-numbers").WithTags("Emergency groups");
        numbers.MapGet("/", async (EmergencyStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAllowedNumbersAsync(ct)))
            .RequireRoles(Roles.Supervisor);
        numbers.MapPost("/", AllowNumberAsync).RequireRoles(Roles.Admin);
        numbers.MapDelete("/{number}", DisallowNumberAsync).RequireRoles(Roles.Admin);

        var groups = endpoints.MapGroup("/api/emergency/groups").WithTags("Emergency groups");
        groups.MapGet("/", async (EmergencyStore store, CancellationToken ct) => TypedResults.Ok(await store.ListGroupsAsync(null, ct)))
            .RequireRoles(Roles.Supervisor, Roles.Agent);
        groups.MapPost("/", CreateGroupAsync).RequireRoles(Roles.Admin);
        groups.MapGet("/{id:long}", GetGroupAsync).RequireRoles(Roles.Supervisor, Roles.Agent);
        groups.MapPost("/{id:long}/members", AddMemberAsync).RequireRoles(Roles.Admin);
        groups.MapDelete("/{id:long}/members/{memberId:long}", RemoveMemberAsync).RequireRoles(Roles.Admin);
        groups.MapPost("/{id:long}/convene", ConveneAsync).RequireRoles(Roles.Supervisor, Roles.Agent);
        groups.MapGet("/{id:long}/timeline", TimelineAsync).RequireRoles(Roles.Supervisor, Roles.Agent);
        groups.MapPost("/{id:long}/messages", PostMessageAsync).RequireRoles(Roles.Supervisor, Roles.Agent);
        groups.MapGet("/{id:long}/stream", StreamTimelineAsync).RequireRoles(Roles.Supervisor, Roles.Agent)
            .Produces<TimelineEntry>(StatusCodes.Status200OK, "text/event-stream");

        var conferences = endpoints.MapGroup("/api/emergency/conferences").WithTags("Emergency groups");
        conferences.MapGet("/{id:long}", GetConferenceAsync).RequireRoles(Roles.Supervisor, Roles.Agent);
        conferences.MapPost("/{id:long}/members", (long id, RingMemberRequest request, EmergencyConferences live, EmergencyStore store, HttpContext http, CancellationToken ct) =>
            RingMemberAsync(id, request, live, store, http, ct)).RequireRoles(Roles.Supervisor, Roles.Agent);
        conferences.MapPost("/{id:long}/members/{memberId:long}/mute", (long id, long memberId, EmergencyConferences live, EmergencyStore store, HttpContext http, CancellationToken ct) =>
            OnConferenceAsync(id, live, store, http, (c, actor) => c.MuteAsync(memberId, true, actor), ct)).RequireRoles(Roles.Supervisor, Roles.Agent);
        conferences.MapPost("/{id:long}/members/{memberId:long}/unmute", (long id, long memberId, EmergencyConferences live, EmergencyStore store, HttpContext http, CancellationToken ct) =>
            OnConferenceAsync(id, live, store, http, (c, actor) => c.MuteAsync(memberId, false, actor), ct)).RequireRoles(Roles.Supervisor, Roles.Agent);
        conferences.MapDelete("/{id:long}/members/{memberId:long}", (long id, long memberId, EmergencyConferences live, EmergencyStore store, HttpContext http, CancellationToken ct) =>
            OnConferenceAsync(id, live, store, http, (c, actor) => c.DropAsync(memberId, actor), ct)).RequireRoles(Roles.Supervisor, Roles.Agent);
        conferences.MapPost("/{id:long}/end", (long id, EmergencyConferences live, EmergencyStore store, HttpContext http, CancellationToken ct) =>
            OnConferenceAsync(id, live, store, http, async (c, actor) => await c.EndAsync(actor) ? MemberCommandResult.Done : MemberCommandResult.Ended, ct))
            .RequireRoles(Roles.Supervisor, Roles.Agent);

        var broadcasts = endpoints.MapGroup("/api/broadcasts").WithTags("Broadcasts");
        broadcasts.MapPost("/", BroadcastAsync).RequireRoles(Roles.Supervisor);
        broadcasts.MapGet("/", async (long? departmentId, long? afterId, EmergencyStore store, CancellationToken ct) =>
            TypedResults.Ok(await store.BroadcastsAsync(departmentId, afterId ?? 0, 200, ct))).RequireRoles(Roles.Supervisor, Roles.Agent);
        broadcasts.MapGet("/stream", StreamBroadcastsAsync).RequireRoles(Roles.Supervisor, Roles.Agent)
            .Produces<Broadcast>(StatusCodes.Status200OK, "text/event-stream");
    }

    [GeneratedRegex(@"^\+?[0-9]{3,20}$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"^PJSIP/[A-Za-z0-9_.\-]{1,64}$")]
    private static partial Regex PhonePattern();

    private static async Task<Results<Ok, ValidationProblem>> AllowNumberAsync(AllowedNumberRequest request, EmergencyStore store, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Number is null || !NumberPattern().IsMatch(request.Number))
        {
            errors["number"] = ["3 to 20 digits, optionally after +"];
        }
        if (string.IsNullOrWhiteSpace(request.Label) || request.Label.Length > 100)
        {
            errors["label"] = ["required, at most 100 characters"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        await store.AllowNumberAsync(request.Number!, request.Label!.Trim(), KeysEndpoints.Actor(http), ct);
        return TypedResults.Ok();
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DisallowNumberAsync(string number, EmergencyStore store, CancellationToken ct) =>
        await store.DisallowNumberAsync(number, ct) switch
        {
            true => TypedResults.NoContent(),
            false => Problems.Conflict("A group member still uses this number: remove the member first."),
            null => TypedResults.NotFound(),
        };

    private static async Task<Results<Created<EmergencyGroup>, ValidationProblem, ProblemHttpResult>> CreateGroupAsync(
        GroupRequest request, EmergencyStore store, AgentStore agents, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
        {
            errors["name"] = ["required, at most 100 characters"];
        }
        var role = request.ConveneRole ?? Roles.Supervisor;
        if (role is not (Roles.Admin or Roles.Supervisor or Roles.Agent))
        {
            errors["conveneRole"] = ["one of admin, supervisor, agent"];
        }
        if (request.RingSeconds is < 5 or > 120)
        {
            errors["ringSeconds"] = ["between 5 and 120"];
        }
        if (request.Retries is < 0 or > 10)
        {
            errors["retries"] = ["between 0 and 10"];
        }
        if (request.RetrySeconds is < 1 or > 3600)
        {
            errors["retrySeconds"] = ["between 1 and 3600"];
        }
        var members = new List<NewEmergencyMember>();
        var requested = request.Members ?? [];
        for (var i = 0; i < requested.Count; i++)
        {
            var (member, error) = await MemberOfAsync(requested[i], store, agents, ct);
            if (error is not null)
            {
                errors[$"members[{i}]"] = [error];
            }
            else
            {
                members.Add(member!);
            }
        }
        if (members.GroupBy(m => m.Endpoint).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            errors["members"] = [$"{twice.Key} is listed twice"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        try
        {
            var group = await store.CreateGroupAsync(new NewEmergencyGroup(request.Name!.Trim(), role, request.RingSeconds ?? 30,
                request.Retries ?? 2, request.RetrySeconds ?? 60, members), KeysEndpoints.Actor(http), ct);
            return TypedResults.Created($"/api/emergency/groups/{group.Id}", group);
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict($"A group named \"{request.Name!.Trim()}\" exists already.");
        }
    }

    private static async Task<(NewEmergencyMember? Member, string? Error)> MemberOfAsync(MemberRequest request, EmergencyStore store, AgentStore agents, CancellationToken ct)
    {
        switch (request.Kind)
        {
            case MemberKinds.Agent:
                if (request.AgentId is not { } agentId || await agents.GetAsync(agentId, ct) is not { } agent)
                {
                    return (null, "agentId: no such agent");
                }
                return (new NewEmergencyMember(MemberKinds.Agent, agent.Id, agent.SipEndpoint, agent.Name), null);
            case MemberKinds.Phone:
                if (request.Endpoint is null || !PhonePattern().IsMatch(request.Endpoint))
                {
                    return (null, "endpoint: a deskphone's endpoint such as PJSIP/101");
                }
                return string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100
                    ? (null, "name: required, at most 100 characters")
                    : (new NewEmergencyMember(MemberKinds.Phone, null, request.Endpoint, request.Name.Trim()), null);
            case MemberKinds.External:
                if (request.Endpoint is null || !NumberPattern().IsMatch(request.Endpoint) || !await store.IsAllowedNumberAsync(request.Endpoint, ct))
                {
                    return (null, "endpoint: a number on the allow-list (/api/emergency/allowed-numbers)");
                }
                return string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100
                    ? (null, "name: required, at most 100 characters")
                    : (new NewEmergencyMember(MemberKinds.External, null, request.Endpoint, request.Name.Trim()), null);
            default:
                return (null, "kind: one of agent, phone, external");
        }
    }

    private static async Task<Results<Ok<EmergencyGroup>, ProblemHttpResult>> GetGroupAsync(long id, EmergencyStore store, CancellationToken ct) =>
        await store.GetGroupAsync(id, ct) is { } group ? TypedResults.Ok(group) : Problems.NotFound($"Emergency group {id}");

    private static async Task<Results<Created<EmergencyMember>, ValidationProblem, ProblemHttpResult>> AddMemberAsync(
        long id, MemberRequest request, EmergencyStore store, AgentStore agents, CancellationToken ct)
    {
        if (await store.GetGroupAsync(id, ct) is not { } group)
        {
            return Problems.NotFound($"Emergency group {id}");
        }
        var (member, error) = await MemberOfAsync(request, store, agents, ct);
        if (error is not null)
        {
            var field = error[..error.IndexOf(':', StringComparison.Ordinal)];
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error[(field.Length + 2)..]] });
        }
        if (group.Members.Any(m => m.Endpoint == member!.Endpoint))
        {
            return Problems.Conflict($"{member!.Endpoint} is a member already.");
        }
        var added = await store.AddMemberAsync(id, member!, ct);
        return TypedResults.Created($"/api/emergency/groups/{id}", added);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveMemberAsync(long id, long memberId, EmergencyStore store, TimeProvider time, CancellationToken ct) =>
        await store.RemoveMemberAsync(id, memberId, time.GetUtcNow(), ct) ? TypedResults.NoContent() : Problems.NotFound($"Member {memberId} of group {id}");

    private static bool MayConvene(ClaimsPrincipal user, EmergencyGroup group) =>
        user.IsInRole(Roles.Admin) || user.IsInRole(group.ConveneRole) || (group.ConveneRole == Roles.Agent && user.IsInRole(Roles.Supervisor));

    private static async Task<Results<Created<ConferenceView>, ProblemHttpResult>> ConveneAsync(
        long id, EmergencyStore store, EmergencyConferences live, HttpContext http, CancellationToken ct)
    {
        if (await store.GetGroupAsync(id, ct) is not { } group)
        {
            return Problems.NotFound($"Emergency group {id}");
        }
        if (!MayConvene(http.User, group))
        {
            return TypedResults.Problem(title: "Forbidden", detail: $"Convening this group needs the {group.ConveneRole} role.", statusCode: StatusCodes.Status403Forbidden);
        }
        var (conference, refusal) = await live.ConveneAsync(id, KeysEndpoints.Actor(http), "api", null, ct);
        return refusal switch
        {
            ConveneRefusal.None => TypedResults.Created($"/api/emergency/conferences/{conference!.Id}", await conference.ViewAsync()),
            ConveneRefusal.AlreadyLive => Problems.Conflict($"Group {id} is in conference already: /api/emergency/conferences/{live.LiveForGroup(id)?.Id}"),
            ConveneRefusal.NoMembers => Problems.Conflict($"Group {id} has no members."),
            _ => Problems.NotFound($"Emergency group {id}"),
        };
    }

    private static async Task<Results<Ok<ConferenceView>, ProblemHttpResult>> GetConferenceAsync(long id, EmergencyConferences live, EmergencyStore store, CancellationToken ct)
    {
        if (live.Live(id) is { } conference)
        {
            try
            {
                return TypedResults.Ok(await conference.ViewAsync());
            }
            catch (ConferenceEndedException)
            {
                // Ended between the look-up and the question: answered from the store below.
            }
        }
        if (await store.GetConferenceAsync(id, ct) is not { } row)
        {
            return Problems.NotFound($"Emergency conference {id}");
        }
        var group = await store.GetGroupAsync(row.GroupId, ct);
        return TypedResults.Ok(new ConferenceView(row.Id, row.GroupId, group?.Name ?? "", row.BridgeId, false, []));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> OnConferenceAsync(
        long id, EmergencyConferences live, EmergencyStore store, HttpContext http,
        Func<EmergencyConference, string, Task<MemberCommandResult>> command, CancellationToken ct)
    {
        if (live.Live(id) is not { } conference)
        {
            return await store.GetConferenceAsync(id, ct) is null
                ? Problems.NotFound($"Emergency conference {id}")
                : Problems.Conflict($"Emergency conference {id} has ended.");
        }
        MemberCommandResult result;
        try
        {
            result = await command(conference, KeysEndpoints.Actor(http));
        }
        catch (ConferenceEndedException)
        {
            result = MemberCommandResult.Ended;
        }
        return result switch
        {
            MemberCommandResult.Done => TypedResults.NoContent(),
            MemberCommandResult.UnknownMember => Problems.NotFound("Member of this conference"),
            MemberCommandResult.NotInConference => Problems.Conflict("The member is not in the conference now."),
            MemberCommandResult.AlreadyIn => Problems.Conflict("The member is in the conference or being rung already."),
            _ => Problems.Conflict($"Emergency conference {id} has ended."),
        };
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RingMemberAsync(
        long id, RingMemberRequest request, EmergencyConferences live, EmergencyStore store, HttpContext http, CancellationToken ct)
    {
        if (request.MemberId is not { } memberId)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["memberId"] = ["required: a member of the group (add one with POST /api/emergency/groups/{id}/members)"] });
        }
        var row = await store.GetConferenceAsync(id, ct);
        var member = row is null ? null : (await store.GetGroupAsync(row.GroupId, ct))?.Members.FirstOrDefault(m => m.Id == memberId);
        if (row is not null && member is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["memberId"] = ["not a member of the conference's group"] });
        }
        return (await OnConferenceAsync(id, live, store, http, (c, _) => c.AddAsync(member!), ct)).Result switch
        {
            ProblemHttpResult problem => problem,
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<TimelineEntry>>, ProblemHttpResult>> TimelineAsync(
        long id, long? afterId, long? conferenceId, int? limit, EmergencyStore store, CancellationToken ct)
    {
        if (await store.GetGroupAsync(id, ct) is null)
        {
            return Problems.NotFound($"Emergency group {id}");
        }
        return TypedResults.Ok(await store.TimelineAsync(id, conferenceId, afterId ?? 0, Math.Clamp(limit ?? 500, 1, 1000), ct));
    }

    private static async Task<Results<Created<TimelineEntry>, ValidationProblem, ProblemHttpResult>> PostMessageAsync(
        long id, MessageRequest request, EmergencyStore store, EmergencyConferences live, LiveFeed<TimelineEntry> feed, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Text) || request.Text.Length > MaxText)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = [$"required, at most {MaxText} characters"] });
        }
        if (await store.GetGroupAsync(id, ct) is null)
        {
            return Problems.NotFound($"Emergency group {id}");
        }
        // A message written during a conference belongs to it as well, so the conference's record holds its chat.
        var entry = await store.AppendAsync(id, live.LiveForGroup(id)?.Id, time.GetUtcNow(), TimelineKinds.Message, null,
            KeysEndpoints.Actor(http), request.Text, ct);
        feed.Publish(entry);
        return TypedResults.Created($"/api/emergency/groups/{id}/timeline?afterId={entry.Id - 1}", entry);
    }

    /// <summary>
    /// The group's timeline as server-sent events: what is stored after <c>Last-Event-ID</c> (or <c>afterId</c>) first,
    /// then each new entry as it is stored. Subscribed before reading the store, so nothing falls between the two.
    /// </summary>
    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> StreamTimelineAsync(
        long id, long? afterId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, EmergencyStore store, LiveFeed<TimelineEntry> feed,
        HttpContext http, CancellationToken ct)
    {
        if (await store.GetGroupAsync(id, ct) is null)
        {
            return Problems.NotFound($"Emergency group {id}");
        }
        var after = long.TryParse(lastEventId, out var last) ? last : afterId ?? 0;
        var subscription = feed.Subscribe(e => e.GroupId == id);
        await WriteEventStreamAsync(http, Stream(subscription, after, (from, token) => store.TimelineAsync(id, null, from, 1000, token), e => e.Id, "timeline", ct), ct);
        return TypedResults.Empty;
    }

    private static async Task<Results<Created<Broadcast>, ValidationProblem>> BroadcastAsync(
        BroadcastRequest request, EmergencyStore store, LiveFeed<Broadcast> feed, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Text) || request.Text.Length > MaxText)
        {
            errors["text"] = [$"required, at most {MaxText} characters"];
        }
        if (request.DepartmentId is { } department && !await store.DepartmentExistsAsync(department, ct))
        {
            errors["departmentId"] = ["no such department (leave it out to reach all agents)"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var broadcast = await store.AddBroadcastAsync(KeysEndpoints.Actor(http), request.DepartmentId, request.Text!, time.GetUtcNow(), ct);
        feed.Publish(broadcast);
        return TypedResults.Created($"/api/broadcasts?afterId={broadcast.Id - 1}", broadcast);
    }

    /// <summary>Broadcasts to all agents and to <c>departmentId</c>'s, as server-sent events (stored ones after the last seen first).</summary>
    private static async Task<EmptyHttpResult> StreamBroadcastsAsync(
        long? departmentId, long? afterId, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, EmergencyStore store, LiveFeed<Broadcast> feed,
        HttpContext http, CancellationToken ct)
    {
        var after = long.TryParse(lastEventId, out var last) ? last : afterId ?? 0;
        var subscription = feed.Subscribe(b => b.DepartmentId is null || b.DepartmentId == departmentId);
        await WriteEventStreamAsync(http, Stream(subscription, after, (from, token) => store.BroadcastsAsync(departmentId, from, 1000, token), b => b.Id, "broadcast", ct), ct);
        return TypedResults.Empty;
    }

    /// <summary>
    /// Writes the events as text/event-stream. The headers go out at once (ServerSentEventsResult sends them with the
    /// first event, and a desk with nothing new yet would wait for them: a browser's EventSource reports "connecting").
    /// </summary>
    private static async Task WriteEventStreamAsync<T>(HttpContext http, IAsyncEnumerable<SseItem<T>> items, CancellationToken ct)
    {
        var json = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache,no-store";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await http.Response.Body.FlushAsync(ct);
        try
        {
            await SseFormatter.WriteAsync(items, http.Response.Body, (item, writer) =>
            {
                using var json8 = new System.Text.Json.Utf8JsonWriter(writer);
                System.Text.Json.JsonSerializer.Serialize(json8, item.Data, json);
            }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The desk closed the stream.
        }
    }

    private static async IAsyncEnumerable<SseItem<T>> Stream<T>(
        LiveFeed<T>.Subscription subscription, long after, Func<long, CancellationToken, Task<IReadOnlyList<T>>> stored, Func<T, long> idOf,
        string eventType, [EnumeratorCancellation] CancellationToken ct)
    {
        using (subscription)
        {
            var last = after;
            foreach (var item in await stored(after, ct))
            {
                last = idOf(item);
                yield return new SseItem<T>(item, eventType) { EventId = last.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
            await foreach (var item in subscription.Reader.ReadAllAsync(ct))
            {
                if (idOf(item) <= last)
                {
                    continue;
                }
                last = idOf(item);
                yield return new SseItem<T>(item, eventType) { EventId = last.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
        }
    }
}
