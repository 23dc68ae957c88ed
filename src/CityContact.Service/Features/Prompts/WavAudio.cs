using System.Buffers.Binary;
using System.Diagnostics;

namespace CityContact.Service.Features.Prompts;

/// <summary>The format chunk of a RIFF/WAVE file.</summary>
public sealed record WavFormat(int FormatTag, int Channels, int SampleRate, int BitsPerSample)
{
    private const int Pcm = 1;
    private const int Extensible = 0xFFFE;

    /// <summary>
    /// What Asterisk's format_wav opens from a <c>.wav</c> file: signed 16-bit mono PCM at exactly 8 kHz (it refuses
    /// 16 kHz there, "Unexpected frequency mismatch"; that rate belongs in <c>.wav16</c>, and the calls are 8 kHz anyway).
    /// </summary>
    public bool IsPlayableAsIs => FormatTag == Pcm && Channels == 1 && BitsPerSample == 16 && SampleRate == 8000;

    /// <summary>Integer PCM (plain or extensible) that sox can resample and mix down without a codec.</summary>
    public bool IsPcm => FormatTag is Pcm or Extensible && BitsPerSample is 8 or 16 or 24 or 32;

    public override string ToString() => $"format {FormatTag}, {Channels} channel(s), {SampleRate} Hz, {BitsPerSample} bit";
}

/// <summary>Recognises uploads Asterisk can play and converts other PCM WAV files with sox.</summary>
public static class WavAudio
{
    /// <summary>The format of a RIFF/WAVE file, or null when the bytes are not one (anything else Asterisk cannot play as a prompt).</summary>
    public static WavFormat? ReadFormat(ReadOnlySpan<byte> file)
    {
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            return null;
        }
        var position = 12;
        while (position + 8 <= file.Length)
        {
            var id = file.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(position + 4, 4));
            var body = position + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > file.Length)
                {
                    return null;
                }
                var fmt = file.Slice(body, 16);
                return new WavFormat(
                    BinaryPrimitives.ReadUInt16LittleEndian(fmt[..2]),
                    BinaryPrimitives.ReadUInt16LittleEndian(fmt.Slice(2, 2)),
                    (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(fmt.Slice(4, 4)), int.MaxValue),
                    BinaryPrimitives.ReadUInt16LittleEndian(fmt.Slice(14, 2)));
            }
            // Chunks are padded to an even length.
            var next = (long)body + size + (size & 1);
            if (next > file.Length)
            {
                return null;
            }
            position = (int)next;
        }
        return null;
    }

    /// <summary>
    /// Converts a PCM WAV to 16-bit mono at 8 kHz with sox (which also writes the plain header Asterisk reads). Null
    /// with the reason when sox is not installed or fails.
    /// </summary>
    public static async Task<(byte[]? Converted, string? Failure)> ConvertAsync(byte[] source, WavFormat format, string workDirectory, CancellationToken ct)
    {
        const int rate = 8000;
        var input = Path.Combine(workDirectory, $".upload-{Guid.NewGuid():N}.wav");
        var output = Path.Combine(workDirectory, $".converted-{Guid.NewGuid():N}.wav");
        try
        {
            await File.WriteAllBytesAsync(input, source, ct);
            var start = new ProcessStartInfo("sox") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in new[] { input, "-r", rate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "1", "-b", "16", "-e", "signed-integer", output })
            {
                start.ArgumentList.Add(argument);
            }
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("sox did not start");
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return (null, $"The recording is {format}; Asterisk plays 16-bit mono PCM at 8 kHz from a .wav and sox, which would convert it, is not installed (scripts/deps.sh installs it).");
            }
            using (process)
            {
                var errors = process.StandardError.ReadToEndAsync(ct);
                await process.WaitForExitAsync(ct);
                if (process.ExitCode != 0)
                {
                    return (null, $"The recording is {format} and sox could not convert it: {(await errors).Trim()}");
                }
            }
            return (await File.ReadAllBytesAsync(output, ct), null);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }
}
