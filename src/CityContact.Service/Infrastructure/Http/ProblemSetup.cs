using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CityContact.Service.Infrastructure.Http;

/// <summary>Every error leaves the service as RFC 7807 problem+json carrying the request's trace id.</summary>
public static class ProblemSetup
{
    public static void AddProblems(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["traceId"] = TraceIdOf(context.HttpContext);
            // The framework answers a non-JSON body with a bare 415 (no exception to handle): say what it wants.
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && context.ProblemDetails.Detail is null)
            {
                context.ProblemDetails.Title = "The request body must be JSON";
                context.ProblemDetails.Detail = "Send the body with Content-Type: application/json.";
                context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { ["$"] = ["Content-Type must be application/json"] };
            }
        });
        // A body or query that cannot be bound throws instead of answering an empty 400, so that the
        // handler below can name the field.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // Strict bodies for every endpoint: a field the resource does not have is an error (it was silently dropped:
        // {"status":"closed"} on create gave a new ticket), and "12" is not the number 12.
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<DatabaseConflictExceptionHandler>();
        builder.Services.AddExceptionHandler<UnexpectedExceptionHandler>();
    }

    public static void UseProblems(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
    }

    public static string TraceIdOf(HttpContext http) => Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;

    private static ValueTask<bool> WriteAsync(HttpContext http, Exception exception, int status, string title, string? detail, IDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null
            ? new Microsoft.AspNetCore.Mvc.ProblemDetails()
            : new HttpValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        http.Response.StatusCode = status;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    /// <summary>Malformed JSON, a missing body, a wrong media type or an unparsable parameter: 4xx naming the JSON path or the parameter.</summary>
    private sealed class BadRequestExceptionHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException badRequest)
            {
                return ValueTask.FromResult(false);
            }
            var (status, title, field, message) = RequestErrors.Describe(badRequest, httpContext.Request);
            return WriteAsync(httpContext, exception, status, title, $"{message} ('{field}').", new Dictionary<string, string[]> { [field] = [message] });
        }
    }

    /// <summary>
    /// A unique or foreign-key violation is a conflict with what is stored, not a server fault; the answer names the
    /// request field (from the constraint, e.g. tickets_assigned_agent_id_fkey → assignedAgentId), never the constraint.
    /// </summary>
    private sealed class DatabaseConflictExceptionHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken) =>
            exception is PostgresException e && DatabaseConflicts.Describe(e) is { } conflict
                ? WriteAsync(httpContext, exception, conflict.Status, conflict.Title, conflict.Message,
                    new Dictionary<string, string[]> { [conflict.Field] = [conflict.Message] })
                : ValueTask.FromResult(false);
    }

    /// <summary>Anything else: logged with the trace id, answered 500 without internals.</summary>
    private sealed class UnexpectedExceptionHandler(ILogger<UnexpectedExceptionHandler> logger) : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            logger.LogError(exception, "Unexpected error on {Method} {Path}, trace {TraceId}",
                httpContext.Request.Method, httpContext.Request.Path.Value, TraceIdOf(httpContext));
            return WriteAsync(httpContext, exception, StatusCodes.Status500InternalServerError, "An unexpected error occurred",
                "The error was logged with this trace id.");
        }
    }
}

/// <summary>Typed results shared by the endpoints.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(title: $"{what} not found", statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);
}
