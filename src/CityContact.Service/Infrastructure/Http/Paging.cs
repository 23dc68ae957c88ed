namespace CityContact.Service.Infrastructure.Http;

/// <summary>A page of a list resource: <c>{ "items": [...], "total": n, "nextOffset": m | null }</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long Total, int? NextOffset);

public static class Page
{
    /// <summary>A list that is always answered whole (agents, flows, prompts…), in the same shape as paged ones.</summary>
    public static Page<T> All<T>(IReadOnlyList<T> items) => new(items, items.Count, null);

    public static Page<T> Of<T>(IReadOnlyList<T> items, long total, PageRequest request) =>
        new(items, total, request.Offset + items.Count < total ? request.Offset + items.Count : null);
}

public readonly record struct PageRequest(int Limit, int Offset)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>Validates <c>limit</c> (1..500, default 50) and <c>offset</c> (≥ 0); errors are keyed by parameter.</summary>
    public static PageRequest From(int? limit, int? offset, Dictionary<string, string[]> errors)
    {
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}"];
        }
        if (offset is < 0)
        {
            errors["offset"] = ["offset must be 0 or more"];
        }
        return new PageRequest(limit ?? DefaultLimit, offset ?? 0);
    }
}
