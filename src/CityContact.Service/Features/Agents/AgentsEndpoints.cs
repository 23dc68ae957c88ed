using System.Globalization;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Departments;
using CityContact.Service.Features.Queues;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Agents;

public sealed record AgentSkillRequest(string? Skill, int? Penalty);

/// <summary>An agent as the admin writes it; <c>Active</c> (default true) lets an update bring a removed agent back.</summary>
public sealed record AgentRequest(string? Name, string? SipEndpoint, string? Email, long? DepartmentId, AgentSkillRequest[]? Skills, bool? Active);

/// <summary>The admin's agents: create, read, change (fields and skills together) and remove, each change audited.</summary>
public static partial class AgentsEndpoints
{
    public static void MapAgentAdmin(this IEndpointRouteBuilder endpoints)
    {
        var agents = endpoints.MapGroup("/api/agents").WithTags("Agents");
        agents.MapGet("/{id:long}", GetAsync).RequireRoles(Roles.Admin, Roles.Supervisor)
            .WithSummary("One agent with skills and department");
        agents.MapPost("/", CreateAsync).RequireRoles(Roles.Admin)
            .WithSummary("Create an agent (name, SIP endpoint, skills with penalties 0-100)");
        agents.MapPut("/{id:long}", UpdateAsync).RequireRoles(Roles.Admin)
            .WithSummary("Replace an agent's fields and skills");
        agents.MapDelete("/{id:long}", DeleteAsync).RequireRoles(Roles.Admin)
            .WithSummary("Remove an agent from service (kept, inactive, for the call history)");
    }

    private static async Task<Results<Ok<Agent>, ProblemHttpResult>> GetAsync(long id, AgentStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } agent ? TypedResults.Ok(agent) : Problems.NotFound($"Agent {id}");

    private static async Task<Results<Created<Agent>, ValidationProblem>> CreateAsync(
        AgentRequest request, AgentStore store, DepartmentStore departments, QueueDispatcher dispatcher, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await ValidateAsync(request, departments, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var agent = await store.CreateAsync(Fields(request), ct);
        await audit.AppendAsync(AuditOf(http, "agent.created", agent), ct);
        await dispatcher.ReloadAgentsAsync(ct);
        return TypedResults.Created($"/api/agents/{agent.Id}", agent);
    }

    private static async Task<Results<Ok<Agent>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, AgentRequest request, AgentStore store, DepartmentStore departments, QueueDispatcher dispatcher, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await ValidateAsync(request, departments, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.UpdateAsync(id, Fields(request), request.Active ?? true, ct) is not { } agent)
        {
            return Problems.NotFound($"Agent {id}");
        }
        await audit.AppendAsync(AuditOf(http, "agent.updated", agent), ct);
        await dispatcher.ReloadAgentsAsync(ct);
        return TypedResults.Ok(agent);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        long id, AgentStore store, QueueDispatcher dispatcher, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!await store.DeactivateAsync(id, ct))
        {
            return Problems.NotFound($"Active agent {id}");
        }
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "agent.removed", "agent", id.ToString(CultureInfo.InvariantCulture),
            ProblemSetup.TraceIdOf(http)), ct);
        await dispatcher.ReloadAgentsAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Dictionary<string, string[]>> ValidateAsync(AgentRequest request, DepartmentStore departments, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            errors["name"] = ["name is required (at most 200 characters)"];
        }
        if (request.SipEndpoint is null || request.SipEndpoint.Length > 100 || !EndpointPattern().IsMatch(request.SipEndpoint))
        {
            errors["sipEndpoint"] = ["an Asterisk endpoint such as PJSIP/101"];
        }
        if (!string.IsNullOrWhiteSpace(request.Email) && !Contacts.IsEmail(request.Email.Trim()))
        {
            errors["email"] = ["email is not an email address"];
        }
        if (request.DepartmentId is { } departmentId && await departments.GetAsync(departmentId, ct) is null)
        {
            errors["departmentId"] = [$"no department with id {departmentId}"];
        }
        var skills = request.Skills ?? [];
        if (skills.Length > 50)
        {
            errors["skills"] = ["at most 50 skills"];
        }
        for (var i = 0; i < Math.Min(skills.Length, 50); i++)
        {
            if (skills[i] is null)
            {
                errors[$"skills[{i}]"] = ["a skill is an object {skill, penalty}"];
                continue;
            }
            if (skills[i].Skill is not { } skill || !SkillPattern().IsMatch(skill))
            {
                errors[$"skills[{i}].skill"] = ["skill is required: 1-32 of a-z, 0-9, '-' or '_' (a queue's skill)"];
            }
            if (skills[i].Penalty is < 0 or > 100)
            {
                errors[$"skills[{i}].penalty"] = ["penalty is 0 (preferred) to 100"];
            }
        }
        if (skills.Where(s => s?.Skill is not null).GroupBy(s => s.Skill).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            errors["skills"] = [$"skill '{twice.Key}' is listed twice"];
        }
        return errors;
    }

    private static NewAgent Fields(AgentRequest request) =>
        new(request.Name!.Trim(), request.SipEndpoint!, string.IsNullOrWhiteSpace(request.Email) ? null : request.Email.Trim(), request.DepartmentId,
            [.. (request.Skills ?? []).Select(s => new AgentSkill(s.Skill!, s.Penalty ?? 0))]);

    private static AuditEntry AuditOf(HttpContext http, string action, Agent agent) =>
        new(KeysEndpoints.Actor(http), action, "agent", agent.Id.ToString(CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http),
            new { agent.Name, agent.SipEndpoint, agent.DepartmentId, agent.Active, agent.Skills });

    [GeneratedRegex("^[A-Za-z]+/[A-Za-z0-9_.@-]+$")]
    private static partial Regex EndpointPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex SkillPattern();
}
