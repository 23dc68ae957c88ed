using CityContact.Service.Features.Queues;

namespace CityContact.Service.Tests.Queues;

/// <summary>The place a queued caller keeps on their channel (CITYCONTACT_QUEUE) across a restart.</summary>
public sealed class QueuePlaceTests
{
    private static readonly DateTimeOffset Joined = new(2025, 3, 12, 8, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void A_waiting_callers_place_reads_back_with_queue_priority_join_time_node_and_language()
    {
        var place = new QueuePlace("taxes-node", "ro", "taxes", 10, Joined, null);

        var value = place.Format();

        Assert.Equal("taxes,10,1741766400123,taxes-node,ro", value);
        Assert.Equal(place, QueuePlace.Parse(value));
    }

    [Fact]
    public void A_talking_callers_place_reads_back_with_the_agent_their_leg_and_the_answer_time()
    {
        var place = new QueuePlace("n", "en", "taxes", 0, Joined, new QueueTalk(42, "leg-1", Joined.AddMinutes(5)));

        Assert.Equal(place, QueuePlace.Parse(place.Format()));
    }

    [Fact]
    public void Separators_inside_fields_are_escaped_so_the_place_still_reads_back()
    {
        var place = new QueuePlace("menu,2", "en", "a,b%c", 0, Joined, null);

        Assert.Equal(place, QueuePlace.Parse(place.Format()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("taxes")]
    [InlineData("taxes,high,1741766400123,n,en")]
    [InlineData("taxes,0,yesterday,n,en")]
    [InlineData(",0,1741766400123,n,en")]
    [InlineData("taxes,0,1741766400123,n,en,agent,leg,1741766400123")]
    [InlineData("taxes,0,1741766400123,n,en,1,leg")]
    public void A_value_this_format_did_not_write_is_no_place(string value) => Assert.Null(QueuePlace.Parse(value));
}
