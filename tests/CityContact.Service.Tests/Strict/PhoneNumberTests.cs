using System.Net;
using System.Net.Http.Json;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Tests.Tickets;
using static CityContact.Service.Tests.Strict.StrictApi;

namespace CityContact.Service.Tests.Strict;

/// <summary>Numbers are parsed and validated by libphonenumber: nothing is guessed into a different or truncated number.</summary>
public sealed class PhoneNumberTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    [Theory]
    [InlineData("722123456", "+40722123456")]
    [InlineData("0722 123 456", "+40722123456")]
    [InlineData("0722.123.456", "+40722123456")]
    [InlineData("(0256) 408 300", "+40256408300")]
    [InlineData("+40 722 123 456", "+40722123456")]
    [InlineData("0040722123456", "+40722123456")]
    [InlineData("0722 123 45", null)]
    [InlineData("00407221234567", null)]
    [InlineData("+4072212345", null)]
    [InlineData("+999 123 456 789", null)]
    [InlineData("not a number", null)]
    [InlineData("0722-123-456 ext. 5", null)]
    public void A_number_is_stored_in_e164_only_when_the_numbering_plan_says_it_is_valid(string typed, string? expected)
    {
        Assert.Equal(expected, Service.Features.Tickets.PhoneNumbers.ToE164(typed, "40"));
    }

    [Theory]
    [InlineData("0722 123 45")]
    [InlineData("00407221234567")]
    public async Task A_ticket_with_an_invalid_number_is_refused_naming_it(string phone)
    {
        var category = await service.NewCategoryAsync(Unique("c"), await service.NewDepartmentAsync(Unique("d")));
        var response = await service.Admin.PostAsJsonAsync("/api/tickets", new { kind = "complaint", description = "Hole", categoryId = category, citizenPhone = phone });
        await ProblemAsync(response, HttpStatusCode.BadRequest, "citizenPhone");
    }

    [Fact]
    public async Task A_number_without_its_trunk_zero_is_stored_in_the_citys_country()
    {
        var category = await service.NewCategoryAsync(Unique("c"), await service.NewDepartmentAsync(Unique("d")));
        var created = await OkAsync(await service.Admin.PostAsJsonAsync("/api/tickets",
            new { kind = "complaint", description = "Hole", categoryId = category, citizenPhone = "722123456" }), HttpStatusCode.Created);
        Assert.Equal("+40722123456", created.GetProperty("citizenPhone").GetString());
    }

    [Fact]
    public void A_transfer_outside_the_allow_list_does_not_validate()
    {
        var json = """
            {"start":"main","languages":["ro"],"nodes":{"main":{"kind":"transfer","number":"+40999000111"}}}
            """;
        var (_, errors) = FlowValidator.Validate(json, new OnlyCityHall());
        Assert.Contains(errors, e => e is { Node: "main", Field: "number" } && e.Message.Contains("TransferAllowList", StringComparison.Ordinal));
    }

    private sealed class OnlyCityHall : IFlowReferences
    {
        public bool PromptExists(string key, string language) => true;

        public bool QueueExists(string code) => true;

        public bool ScheduleExists(string code) => true;

        public bool ExternalNumberAllowed(string number) => number == "+40256408300";
    }
}
