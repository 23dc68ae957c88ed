using System.Text.RegularExpressions;
using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>The trunk and the agents' deskphones in the shipped pjsip.conf.</summary>
public sealed partial class PjsipTests
{
    private readonly AsteriskConfigFile _pjsip = ShippedFiles.Load("pjsip.conf");

    private IReadOnlyList<ConfigSection> AgentEndpoints =>
        _pjsip.OfType("endpoint").Where(e => e.Name != "trunk").ToList();

    [Fact]
    public void Sip_is_offered_over_udp_and_tcp()
    {
        var protocols = _pjsip.OfType("transport").Select(t => _pjsip.Value(t, "protocol")).Order(StringComparer.Ordinal);

        Assert.Equal(["tcp", "udp"], protocols);
    }

    [Fact]
    public void Trunk_is_identified_by_the_providers_ip_and_its_calls_land_in_from_trunk()
    {
        var trunk = _pjsip.OfType("endpoint").Single(e => e.Name == "trunk");
        var identify = Assert.Single(_pjsip.OfType("identify"));

        Assert.Equal("from-trunk", _pjsip.Value(trunk, "context"));
        Assert.Equal("ip", _pjsip.Value(trunk, "identify_by"));
        Assert.Null(_pjsip.Value(trunk, "auth"));
        Assert.Equal("trunk", _pjsip.Value(identify, "endpoint"));
        Assert.Equal("@@TRUNK_IP@@", _pjsip.Value(identify, "match"));
        Assert.Equal("no", _pjsip.Value(trunk, "direct_media"));
    }

    [Fact]
    public void Every_agent_endpoint_authenticates_keeps_one_contact_and_lands_in_agents()
    {
        Assert.NotEmpty(AgentEndpoints);
        foreach (var endpoint in AgentEndpoints)
        {
            var name = endpoint.Name;
            Assert.Equal("agents", _pjsip.Value(endpoint, "context"));

            var auth = Assert.Single(_pjsip.OfType("auth"), a => a.Name == _pjsip.Value(endpoint, "auth"));
            Assert.Equal(name, _pjsip.Value(auth, "username"));
            Assert.Equal($"@@AGENT_{name}_PASSWORD@@", _pjsip.Value(auth, "password"));

            var aor = Assert.Single(_pjsip.OfType("aor"), a => a.Name == _pjsip.Value(endpoint, "aors"));
            Assert.Equal("1", _pjsip.Value(aor, "max_contacts"));
            Assert.Equal("yes", _pjsip.Value(aor, "remove_existing"));
        }
    }

    [Fact]
    public void Every_agent_endpoint_works_behind_nat_with_asterisk_in_the_media_path()
    {
        foreach (var endpoint in AgentEndpoints)
        {
            Assert.Equal("yes", _pjsip.Value(endpoint, "rewrite_contact"));
            Assert.Equal("no", _pjsip.Value(endpoint, "direct_media"));
            Assert.Equal(["all"], _pjsip.Values(endpoint, "disallow"));
            var codecs = _pjsip.Values(endpoint, "allow").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries));
            Assert.Equal(["alaw", "ulaw"], codecs.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Every_agents_caller_id_is_its_own_extension_and_not_what_the_phone_claims()
    {
        // The feature codes pass CALLERID(num) to CityContact as the agent's identity.
        foreach (var endpoint in AgentEndpoints)
        {
            var callerId = CallerIdNumber().Match(_pjsip.Value(endpoint, "callerid") ?? "");
            Assert.True(callerId.Success, $"[{endpoint.Name}] has no callerid <number>");
            Assert.Equal(endpoint.Name, callerId.Groups[1].Value);
            Assert.Equal("no", _pjsip.Value(endpoint, "trust_id_inbound"));
        }
    }

    [Fact]
    public void Every_endpoint_refers_only_to_auths_and_aors_that_exist()
    {
        var auths = _pjsip.OfType("auth").Select(a => a.Name).ToHashSet();
        var aors = _pjsip.OfType("aor").Select(a => a.Name).ToHashSet();
        foreach (var endpoint in _pjsip.OfType("endpoint"))
        {
            Assert.All(_pjsip.Values(endpoint, "auth"), a => Assert.Contains(a, auths));
            Assert.All(_pjsip.Values(endpoint, "aors"), a => Assert.Contains(a, aors));
        }
    }

    [GeneratedRegex(@"<(\d+)>\s*$")]
    private static partial Regex CallerIdNumber();
}
