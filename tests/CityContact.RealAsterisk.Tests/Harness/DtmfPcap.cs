using System.Buffers.Binary;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>
/// A pcap of one RFC 4733 digit for SIPp's play_pcap_audio: continuing event packets then 3 END packets, 20 ms apart,
/// payload type 101 (also compiled into tools/AriTranscriptRecorder). Every press gets its own SSRC: Asterisk drops an event whose SSRC and timestamp it already saw, which
/// is why the shared pcaps of sip-tester (one SSRC, timestamps by digit value) lose digits pressed out of order or twice.
/// </summary>
public static class DtmfPcap
{
    private const byte EventPayloadType = 101;
    private static int _nextSsrc = Random.Shared.Next(0x1000, 0x7fff_0000);

    /// <param name="endDuration">The event's length in 8 kHz samples (1280: 160 ms); packets grow by 160 up to it.</param>
    public static void Write(string path, char digit, ushort endDuration = 1280)
    {
        var eventCode = "0123456789*#".IndexOf(digit, StringComparison.Ordinal);
        if (eventCode < 0)
        {
            throw new ArgumentException($"'{digit}' is not a telephone key", nameof(digit));
        }
        var ssrc = (uint)Interlocked.Increment(ref _nextSsrc);
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // Ethernet
        file.Write(header);
        var growing = endDuration / 160 - 1;
        for (var i = 0; i < growing + 3; i++)
        {
            var end = i >= growing;
            // Durations grow by one 20 ms packet (160 samples); the three END packets repeat the final duration.
            var duration = (ushort)(end ? endDuration : 160 * (i + 1));
            file.Write(Packet(i, eventCode, end, duration, ssrc));
        }
    }

    private static byte[] Packet(int index, int eventCode, bool end, ushort duration, uint ssrc)
    {
        const int rtpLength = 12 + 4, udpLength = 8 + rtpLength, ipLength = 20 + udpLength, frameLength = 14 + ipLength;
        var record = new byte[16 + frameLength];
        var micros = index * 20_000;
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(0), (uint)(micros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), (uint)(micros % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), frameLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), frameLength);
        var frame = record.AsSpan(16);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x0800);
        var ip = frame[14..];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], ipLength);
        ip[8] = 64;
        ip[9] = 17; // UDP; SIPp replaces the addresses and ports with the call's own
        byte[] loopback = [127, 0, 0, 1];
        loopback.CopyTo(ip[12..]);
        loopback.CopyTo(ip[16..]);
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 6000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 6000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], udpLength);
        var rtp = udp[8..];
        rtp[0] = 0x80;
        rtp[1] = (byte)((index == 0 ? 0x80 : 0) | EventPayloadType); // marker on the first packet of the event
        BinaryPrimitives.WriteUInt16BigEndian(rtp[2..], (ushort)(1000 + index));
        BinaryPrimitives.WriteUInt32BigEndian(rtp[4..], 8000); // one event: one timestamp for all its packets
        BinaryPrimitives.WriteUInt32BigEndian(rtp[8..], ssrc);
        rtp[12] = (byte)eventCode;
        rtp[13] = (byte)((end ? 0x80 : 0) | 10); // E bit, volume -10 dBm0
        BinaryPrimitives.WriteUInt16BigEndian(rtp[14..], duration);
        return record;
    }
}
