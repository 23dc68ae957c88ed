using System.Text;

namespace CityContact.Telephony.Ami;

/// <summary>
/// One AMI frame: ordered <c>Key: Value</c> pairs. Keys may repeat (several <c>Variable</c> lines) and are
/// looked up case-insensitively, because Asterisk itself mixes <c>ActionID</c>/<c>ActionId</c>, <c>Uniqueid</c>/<c>UniqueID</c>.
/// </summary>
public sealed class AmiMessage
{
    private readonly KeyValuePair<string, string>[] _fields;

    public AmiMessage(IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        _fields = fields.ToArray();
    }

    public AmiMessage(params (string Key, string Value)[] fields)
        : this(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)))
    {
    }

    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>The first value of <paramref name="key"/>, or null when absent.</summary>
    public string? this[string key]
    {
        get
        {
            foreach (var field in _fields)
            {
                if (string.Equals(field.Key, key, StringComparison.OrdinalIgnoreCase))
                {
                    return field.Value;
                }
            }
            return null;
        }
    }

    /// <summary>Every value of a repeated key, in wire order.</summary>
    public IReadOnlyList<string> GetAll(string key)
    {
        var values = new List<string>();
        foreach (var field in _fields)
        {
            if (string.Equals(field.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                values.Add(field.Value);
            }
        }
        return values;
    }

    public bool Has(string key) => this[key] is not null;

    public string? EventName => this["Event"];

    public string? ResponseStatus => this["Response"];

    public string? ActionId => this["ActionID"];

    public bool IsEvent => EventName is not null;

    public bool IsResponse => ResponseStatus is not null && !IsEvent;

    /// <summary><c>EventList: start</c> on a response: list events with the same ActionID follow.</summary>
    public bool StartsEventList => string.Equals(this["EventList"], "start", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>EventList: Complete</c> on the <c>…Complete</c> event that ends a list.</summary>
    public bool CompletesEventList => IsEvent && string.Equals(this["EventList"], "Complete", StringComparison.OrdinalIgnoreCase);

    /// <summary>A copy with <paramref name="key"/> set: replaced in place when present, appended otherwise.</summary>
    public AmiMessage With(string key, string value)
    {
        var fields = new List<KeyValuePair<string, string>>(_fields.Length + 1);
        var replaced = false;
        foreach (var field in _fields)
        {
            if (!replaced && string.Equals(field.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                fields.Add(KeyValuePair.Create(field.Key, value));
                replaced = true;
            }
            else
            {
                fields.Add(field);
            }
        }
        if (!replaced)
        {
            fields.Add(KeyValuePair.Create(key, value));
        }
        return new AmiMessage(fields);
    }

    /// <summary>The frame as sent on the wire: CRLF after each line and an empty line at the end.</summary>
    public string ToWireText()
    {
        var text = new StringBuilder();
        foreach (var field in _fields)
        {
            text.Append(field.Key).Append(": ").Append(field.Value).Append("\r\n");
        }
        return text.Append("\r\n").ToString();
    }

    public override string ToString() => string.Join(" | ", _fields.Select(f => $"{f.Key}: {f.Value}"));
}
