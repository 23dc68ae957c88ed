using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityContact.Telephony.Ami;

/// <summary>
/// Turns the AMI byte stream into <see cref="AmiMessage"/>s, whatever the read boundaries are.
/// Accepts CRLF and bare LF, keeps repeated keys, splits a line at its first colon only (values may contain colons).
/// A line without a colon is logged and skipped; a frame longer than the cap is logged and dropped up to its
/// terminating empty line, without buffering it. Nothing it receives can make it throw.
/// </summary>
public sealed class AmiFrameDecoder
{
    public const int DefaultMaxFrameBytes = 256 * 1024;
    private const int LogSampleChars = 80;

    private readonly int _maxFrameBytes;
    private readonly ILogger _logger;
    private readonly List<KeyValuePair<string, string>> _fields = [];
    private byte[] _partialLine = new byte[1024];
    private int _partialLength;
    private int _frameBytes;
    private bool _discardingLine;
    private bool _discardingFrame;
    private bool _expectingBanner;

    /// <param name="expectBanner">True on a client socket: the first line is the <c>Asterisk Call Manager/x.y.z</c> banner, ended by one CRLF only.</param>
    public AmiFrameDecoder(bool expectBanner, int maxFrameBytes = DefaultMaxFrameBytes, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 64);
        _expectingBanner = expectBanner;
        _maxFrameBytes = maxFrameBytes;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The banner line once received (client side only).</summary>
    public string? Banner { get; private set; }

    public long MalformedLines { get; private set; }

    public long OversizedFrames { get; private set; }

    /// <summary>Parses every complete frame in <paramref name="frames"/>; a trailing partial frame is ignored. The benchmark entry point.</summary>
    public static IReadOnlyList<AmiMessage> ParseFrames(ReadOnlySpan<byte> frames, int maxFrameBytes = DefaultMaxFrameBytes)
    {
        var output = new List<AmiMessage>();
        new AmiFrameDecoder(expectBanner: false, maxFrameBytes).Feed(frames, output);
        return output;
    }

    /// <summary>Parses one frame given as text (with or without its terminating empty line).</summary>
    public static AmiMessage? ParseFrame(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<AmiMessage>(1);
        var decoder = new AmiFrameDecoder(expectBanner: false, Math.Max(64, Encoding.UTF8.GetByteCount(text) + 4));
        decoder.Feed(Encoding.UTF8.GetBytes(text), output);
        decoder.Feed("\r\n\r\n"u8, output);
        return output.Count > 0 ? output[0] : null;
    }

    /// <summary>Consumes <paramref name="data"/> and appends every frame it completes to <paramref name="output"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data, List<AmiMessage> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Buffer(data);
                return;
            }

            var chunk = data[..newline];
            data = data[(newline + 1)..];
            if (_discardingLine)
            {
                _discardingLine = false;
                continue;
            }

            if (_partialLength > 0)
            {
                Buffer(chunk);
                if (_discardingLine)
                {
                    _discardingLine = false;
                    continue;
                }
                var line = _partialLine.AsSpan(0, _partialLength);
                _partialLength = 0;
                HandleLine(TrimCarriageReturn(line), output);
            }
            else
            {
                HandleLine(TrimCarriageReturn(chunk), output);
            }
        }
    }

    private static ReadOnlySpan<byte> TrimCarriageReturn(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private void Buffer(ReadOnlySpan<byte> data)
    {
        if (_discardingLine)
        {
            return;
        }
        var needed = _partialLength + data.Length;
        if (_frameBytes + needed > _maxFrameBytes)
        {
            // The frame cannot fit: drop what we hold, ignore the rest of this line and of its frame.
            RejectOversizedFrame(needed);
            _partialLength = 0;
            _discardingLine = true;
            return;
        }
        if (needed > _partialLine.Length)
        {
            Array.Resize(ref _partialLine, Math.Min(_maxFrameBytes, Math.Max(needed, _partialLine.Length * 2)));
        }
        data.CopyTo(_partialLine.AsSpan(_partialLength));
        _partialLength = needed;
    }

    private void HandleLine(ReadOnlySpan<byte> line, List<AmiMessage> output)
    {
        if (_expectingBanner)
        {
            _expectingBanner = false;
            Banner = Encoding.UTF8.GetString(line);
            return;
        }

        if (line.IsEmpty)
        {
            if (_discardingFrame)
            {
                _discardingFrame = false;
            }
            else if (_fields.Count > 0)
            {
                output.Add(new AmiMessage(_fields));
            }
            _fields.Clear();
            _frameBytes = 0;
            return;
        }

        if (_discardingFrame)
        {
            return;
        }

        _frameBytes += line.Length + 2;
        if (_frameBytes > _maxFrameBytes)
        {
            RejectOversizedFrame(_frameBytes);
            return;
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            MalformedLines++;
            _logger.LogWarning("AMI line without a key skipped ({Length} bytes): {Sample}", line.Length, Sample(line));
            return;
        }

        var key = Encoding.UTF8.GetString(line[..colon].Trim((byte)' '));
        var value = line[(colon + 1)..];
        // Exactly one space follows the colon; any further spaces belong to the value (Asterisk pads some values).
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }
        _fields.Add(KeyValuePair.Create(key, Encoding.UTF8.GetString(value)));
    }

    private void RejectOversizedFrame(int size)
    {
        OversizedFrames++;
        _logger.LogWarning("AMI frame over {MaxBytes} bytes skipped (at least {Size} bytes)", _maxFrameBytes, size);
        _fields.Clear();
        _frameBytes = 0;
        _discardingFrame = true;
    }

    private static string Sample(ReadOnlySpan<byte> line)
    {
        var sample = Encoding.UTF8.GetString(line[..Math.Min(line.Length, LogSampleChars)]);
        return new string(sample.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
