namespace CityContact.Simulator;

/// <summary>One ARI REST request the application made, as the simulator received and answered it.</summary>
/// <param name="Timestamp">When the request arrived (on the simulator's clock), before it was read and handled.</param>
/// <param name="Path">The decoded path, e.g. <c>/ari/channels/1795354109.1/play</c>.</param>
/// <param name="Query">The raw query string without '?', e.g. <c>media=sound%3Ahello-world</c>.</param>
/// <param name="Parameters">Query parameters and top-level JSON body fields, decoded.</param>
/// <param name="Body">The request body as text, or null when empty.</param>
public sealed record AriRequestRecord(
    DateTimeOffset Timestamp,
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Parameters,
    string? Body,
    int Status);
