using System.Buffers.Binary;

namespace CityContact.Simulator.Core;

/// <summary>Finds Asterisk sound files and computes their length; writes recordings as 8 kHz mono 16-bit PCM WAV.</summary>
internal static class SoundFile
{
    private static readonly string[] Extensions = [".wav", ".gsm", ".ulaw", ".alaw", ".sln"];

    public static string? Find(string directory, string language, string name)
    {
        foreach (var folder in new[] { Path.Combine(directory, language), directory })
        {
            foreach (var extension in Extensions)
            {
                var path = Path.Combine(folder, name + extension);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        return null;
    }

    /// <summary>The playing time of a sound file, or null when its format's length is not computed.</summary>
    public static TimeSpan? Length(string path)
    {
        var bytes = new FileInfo(path).Length;
        switch (Path.GetExtension(path))
        {
            case ".gsm":
                return TimeSpan.FromMilliseconds(bytes / 33 * 20);
            case ".ulaw" or ".alaw":
                return TimeSpan.FromSeconds(bytes / 8000.0);
            case ".sln":
                return TimeSpan.FromSeconds(bytes / 16000.0);
            case ".wav":
                Span<byte> header = stackalloc byte[44];
                using (var stream = File.OpenRead(path))
                {
                    if (stream.Read(header) < 44)
                    {
                        return null;
                    }
                }
                var byteRate = BinaryPrimitives.ReadInt32LittleEndian(header[28..]);
                return byteRate > 0 ? TimeSpan.FromSeconds((bytes - 44) / (double)byteRate) : null;
            default:
                return null;
        }
    }

    /// <summary>Writes <paramref name="length"/> of audio: a 440 Hz tone during <paramref name="speech"/>, silence elsewhere.</summary>
    public static void WriteWav(string path, TimeSpan length, IReadOnlyList<(TimeSpan From, TimeSpan To)> speech)
    {
        const int rate = 8000;
        var samples = (int)(length.TotalSeconds * rate);
        var data = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var at = TimeSpan.FromSeconds(i / (double)rate);
            if (speech.Any(s => at >= s.From && at < s.To))
            {
                var value = (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / rate));
                BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i * 2), value);
            }
        }
        var header = new byte[44];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), 36 + data.Length);
        "WAVEfmt "u8.CopyTo(header.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), rate);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), rate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(34), 16);
        "data"u8.CopyTo(header.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(40), data.Length);
        using var stream = File.Create(path);
        stream.Write(header);
        stream.Write(data);
    }
}
