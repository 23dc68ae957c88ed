using System.Buffers.Binary;

namespace CityContact.Tools.AriTranscriptRecorder;

/// <summary>
/// An RFC 4733 digit as a pcap for SIPp's <c>play_pcap_audio</c>: telephone-event payload type 101, one packet every
/// 20 ms with a growing duration, then three END packets of 2240 samples (280 ms), like the first lab's digits
/// (INDEX.md, "DTMF"). Each digit has an SSRC of its own: Asterisk drops an END whose timestamp is not above the last
/// one it saw from the same SSRC, which the shipped Debian pcaps (one SSRC for all) run into.
/// </summary>
internal static class DtmfPcap
{
    private const int EndDuration = 2240;
    private const int Step = 160;

    public static void Write(string path, char digit, uint ssrc)
    {
        var eventCode = (byte)"0123456789*#".IndexOf(digit, StringComparison.Ordinal);
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // Ethernet
        file.Write(header);

        Span<byte> record = stackalloc byte[16];
        var durations = Enumerable.Range(1, (EndDuration / Step) - 1).Select(i => i * Step).Concat([EndDuration, EndDuration, EndDuration]).ToArray();
        for (var i = 0; i < durations.Length; i++)
        {
            var end = i >= durations.Length - 3;
            var packet = new byte[14 + 20 + 8 + 12 + 4];
            packet[12] = 0x08; // IPv4
            var ip = packet.AsSpan(14);
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + 16));
            ip[8] = 64;
            ip[9] = 17; // UDP
            ip[12] = 127; ip[15] = 2;
            ip[16] = 127; ip[19] = 1;
            var udp = ip[20..];
            BinaryPrimitives.WriteUInt16BigEndian(udp, 6000);
            BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 6000);
            BinaryPrimitives.WriteUInt16BigEndian(udp[4..], 8 + 16);
            var rtp = udp[8..];
            rtp[0] = 0x80;
            rtp[1] = (byte)((i == 0 ? 0x80 : 0) | 101);
            BinaryPrimitives.WriteUInt16BigEndian(rtp[2..], (ushort)(1000 + i));
            BinaryPrimitives.WriteUInt32BigEndian(rtp[4..], 8000); // one timestamp for the whole event
            BinaryPrimitives.WriteUInt32BigEndian(rtp[8..], ssrc);
            rtp[12] = eventCode;
            rtp[13] = (byte)((end ? 0x80 : 0) | 10); // volume -10 dBm0
            BinaryPrimitives.WriteUInt16BigEndian(rtp[14..], (ushort)durations[i]);

            var at = TimeSpan.FromMilliseconds(20 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)at.Seconds);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(at.Milliseconds * 1000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packet.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)packet.Length);
            file.Write(record);
            file.Write(packet);
        }
    }
}
