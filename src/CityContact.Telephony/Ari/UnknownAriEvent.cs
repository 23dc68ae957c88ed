using CityContact.Telephony.Ari.Models;

namespace CityContact.Telephony.Ari;

/// <summary>
/// A message whose <c>type</c> the schema of Asterisk 22.10.1 does not know (a newer Asterisk, a module
/// event). Kept with its raw JSON so a handler can still look at it.
/// </summary>
public sealed record UnknownAriEvent : AriMessage
{
    public string RawJson { get; init; } = "";
}
