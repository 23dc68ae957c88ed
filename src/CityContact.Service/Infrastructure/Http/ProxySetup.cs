using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace CityContact.Service.Infrastructure.Http;

/// <summary>The reverse proxies in front of the service, whose X-Forwarded-For (and -Proto) are believed.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Http";

    /// <summary>Addresses (10.0.0.5) or networks (10.0.0.0/24) of the proxies. Empty: the connection's address is the client's.</summary>
    public List<string> TrustedProxies { get; set; } = [];
}

/// <summary>
/// Behind a reverse proxy every request comes from the proxy's address, so the failed-key limit (per address) would
/// lock out every client at once; X-Forwarded-For is taken, but only from the proxies listed in Http:TrustedProxies
/// (anyone else could claim any address).
/// </summary>
public static class ProxySetup
{
    public static void AddTrustedProxies(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section)
            .Validate(o => o.TrustedProxies.All(p => TryParse(p, out _, out _)),
                "Http:TrustedProxies entries must be IP addresses (10.0.0.5) or networks (10.0.0.0/24)")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var entry in proxies.Value.TrustedProxies)
            {
                if (TryParse(entry, out var address, out var network))
                {
                    if (network is { } n)
                    {
                        forwarded.KnownIPNetworks.Add(n);
                    }
                    else
                    {
                        forwarded.KnownProxies.Add(address!);
                    }
                }
            }
        });
    }

    public static void UseTrustedProxies(this WebApplication app) => app.UseForwardedHeaders();

    private static bool TryParse(string entry, out IPAddress? address, out System.Net.IPNetwork? network)
    {
        address = null;
        network = null;
        if (entry.Contains('/', StringComparison.Ordinal))
        {
            if (System.Net.IPNetwork.TryParse(entry, out var parsed))
            {
                network = parsed;
                return true;
            }
            return false;
        }
        return IPAddress.TryParse(entry, out address);
    }
}
