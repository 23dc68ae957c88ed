namespace CityContact.Service.Tests.Infrastructure;

/// <summary>PCM WAV files for tests: silence of any shape, or a tone in Asterisk's own format.</summary>
internal static class Wav
{
    public static byte[] Silence(int rate, int channels, int bits, int milliseconds) =>
        Write(rate, channels, bits, new byte[rate * channels * (bits / 8) * milliseconds / 1000]);

    /// <summary>8 kHz mono 16-bit, as Asterisk records: a sine at <paramref name="pitchHz"/>, so that two files can differ.</summary>
    public static byte[] Tone(int milliseconds, int pitchHz = 440)
    {
        var samples = 8 * milliseconds;
        var data = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(i * 2), (short)(8000 * Math.Sin(2 * Math.PI * pitchHz * i / 8000)));
        }
        return Write(8000, 1, 16, data);
    }

    private static byte[] Write(int rate, int channels, int bits, byte[] data)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("RIFF"u8);
        writer.Write(36 + data.Length);
        writer.Write("WAVE"u8);
        writer.Write("fmt "u8);
        writer.Write(16);
        writer.Write((short)1);
        writer.Write((short)channels);
        writer.Write(rate);
        writer.Write(rate * channels * bits / 8);
        writer.Write((short)(channels * bits / 8));
        writer.Write((short)bits);
        writer.Write("data"u8);
        writer.Write(data.Length);
        writer.Write(data);
        writer.Flush();
        return stream.ToArray();
    }
}
