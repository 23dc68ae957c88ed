using System.Net;
using System.Net.Sockets;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>
/// Ports and loopback addresses nobody on this machine uses now, so that several Asterisks (other test runs, a
/// developer's own) run side by side. A port is only known free at the moment it is probed; the ranges are wide and
/// random enough that a clash in the second before Asterisk binds is unlikely.
/// </summary>
public static class FreePorts
{
    /// <summary>A port free for TCP and UDP on <paramref name="address"/> (PJSIP binds both on its SIP port).</summary>
    public static int TcpAndUdp(IPAddress address)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 60_000);
            if (TcpFree(address, port) && UdpFree(address, port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free TCP+UDP port on {address}");
    }

    public static int Tcp(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static int Udp(IPAddress address)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 60_000);
            if (UdpFree(address, port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free UDP port on {address}");
    }

    /// <summary>The first of <paramref name="count"/> consecutive UDP ports free on every address (RTP binds 0.0.0.0).</summary>
    public static int UdpRange(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(20_000, 60_000 - count) & ~1; // RTP starts on an even port
            if (Enumerable.Range(first, count).All(port => UdpFree(IPAddress.Any, port)))
            {
                return first;
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free UDP ports");
    }

    /// <summary>
    /// A random 127.0.0.X (not .1, where Asterisk listens, nor .2, the address of hand-run trunks) for this instance's
    /// trunk: callers of one instance never match another's trunk, and their SIPp ports are probed on this address.
    /// </summary>
    public static IPAddress TrunkLoopback() => new([127, 0, 0, (byte)Random.Shared.Next(10, 250)]);

    private static bool TcpFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool UdpFree(IPAddress address, int port)
    {
        try
        {
            using var socket = new UdpClient(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
