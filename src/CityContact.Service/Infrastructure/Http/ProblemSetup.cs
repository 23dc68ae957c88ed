using System.Diagnostics;
using System.Text.Json;
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
            context.ProblemDetails.Extensions["traceId"] = TraceIdOf(context.HttpContext));
        // A body or query that cannot be bound throws instead of answering an empty 400, so that the
        // handler below can name the field.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
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

    /// <summary>Malformed JSON or an unparsable parameter: 400 naming the JSON path or the parameter.</summary>
    private sealed class BadRequestExceptionHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException badRequest)
            {
                return ValueTask.FromResult(false);
            }
            if (badRequest.InnerException is JsonException json)
            {
                // Keyed like validation errors ("code", "address.street"); the message would name internal types.
                var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "$" : json.Path.TrimStart('$', '.');
                return WriteAsync(httpContext, exception, StatusCodes.Status400BadRequest, "The request body is not valid JSON for this resource",
                    $"Malformed or mistyped JSON value at '{field}'.", new Dictionary<string, string[]> { [field] = ["malformed or mistyped JSON value"] });
            }
            return WriteAsync(httpContext, exception, badRequest.StatusCode, "The request is malformed", badRequest.Message);
        }
    }

    /// <summary>A unique or foreign-key violation is a conflict with what is stored, not a server fault.</summary>
    private sealed class DatabaseConflictExceptionHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken) =>
            exception switch
            {
                PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } e =>
                    WriteAsync(httpContext, exception, StatusCodes.Status409Conflict, "The resource already exists",
                        e.ConstraintName is null ? null : $"Conflicts with an existing value ({e.ConstraintName})."),
                PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } e =>
                    WriteAsync(httpContext, exception, StatusCodes.Status409Conflict, "The resource is referenced by or refers to another resource",
                        e.ConstraintName is null ? null : $"Violates {e.ConstraintName}."),
                _ => ValueTask.FromResult(false),
            };
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
