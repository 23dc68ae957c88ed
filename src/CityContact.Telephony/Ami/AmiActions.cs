namespace CityContact.Telephony.Ami;

/// <summary>The actions CityContact sends, built with Asterisk's key names.</summary>
public static class AmiActions
{
    public static AmiMessage Ping() => new(("Action", "Ping"));

    public static AmiMessage PJSIPShowEndpoints() => new(("Action", "PJSIPShowEndpoints"));

    public static AmiMessage PJSIPShowEndpoint(string endpoint) => new(("Action", "PJSIPShowEndpoint"), ("Endpoint", endpoint));

    public static AmiMessage PJSIPShowContacts() => new(("Action", "PJSIPShowContacts"));

    public static AmiMessage CoreShowChannels() => new(("Action", "CoreShowChannels"));

    /// <summary>Reloads one module (e.g. <c>res_pjsip.so</c>) or, with null, everything.</summary>
    public static AmiMessage Reload(string? module = null) =>
        module is null ? new(("Action", "Reload")) : new(("Action", "Reload"), ("Module", module));
}

/// <summary>Typed calls over <see cref="AmiClient.SendActionAsync(AmiMessage, CancellationToken)"/>; each throws <see cref="AmiActionFailedException"/> on <c>Response: Error</c>.</summary>
public static class AmiClientActions
{
    public static async Task PingAsync(this AmiClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        (await client.SendActionAsync(AmiActions.Ping(), cancellationToken).ConfigureAwait(false)).EnsureSuccess("Ping");
    }

    public static async Task<IReadOnlyList<AmiEndpointEntry>> ShowEndpointsAsync(this AmiClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = (await client.SendActionAsync(AmiActions.PJSIPShowEndpoints(), cancellationToken).ConfigureAwait(false)).EnsureSuccess("PJSIPShowEndpoints");
        return response.Events.Where(e => e.EventName == "EndpointList").Select(AmiEndpointEntry.From).ToList();
    }

    /// <summary>Endpoints with no contact make Asterisk answer <c>Response: Error</c> "No Contacts found": that is an empty list, not a failure.</summary>
    public static async Task<IReadOnlyList<AmiContactEntry>> ShowContactsAsync(this AmiClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.SendActionAsync(AmiActions.PJSIPShowContacts(), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess && response.Message?.Contains("No Contacts found", StringComparison.OrdinalIgnoreCase) == true)
        {
            return [];
        }
        return response.EnsureSuccess("PJSIPShowContacts").Events.Where(e => e.EventName == "ContactList").Select(AmiContactEntry.From).ToList();
    }

    public static async Task<IReadOnlyList<AmiChannelEntry>> CoreShowChannelsAsync(this AmiClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = (await client.SendActionAsync(AmiActions.CoreShowChannels(), cancellationToken).ConfigureAwait(false)).EnsureSuccess("CoreShowChannels");
        return response.Events.Where(e => e.EventName == "CoreShowChannel").Select(AmiChannelEntry.From).ToList();
    }

    public static async Task ReloadAsync(this AmiClient client, string? module, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        (await client.SendActionAsync(AmiActions.Reload(module), cancellationToken).ConfigureAwait(false)).EnsureSuccess("Reload");
    }
}
