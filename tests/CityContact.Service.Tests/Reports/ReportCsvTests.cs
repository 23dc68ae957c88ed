using System.Text;
using CityContact.Service.Features.Reports;

namespace CityContact.Service.Tests.Reports;

public sealed class ReportCsvTests
{
    [Fact]
    public void Csv_is_utf8_with_a_byte_order_mark_crlf_rows_and_rfc4180_quoting()
    {
        var bytes = ReportCsv.Write(["id", "subject"], [["1", "Groapă, \"mare\""], ["2", "două\nrânduri"], ["3", null]]);

        Assert.Equal([0xEF, 0xBB, 0xBF], bytes.Take(3));
        var text = Encoding.UTF8.GetString(bytes.AsSpan(3));
        Assert.Equal("id,subject\r\n1,\"Groapă, \"\"mare\"\"\"\r\n2,\"două\nrânduri\"\r\n3,\r\n", text);
    }

    [Fact]
    public void Phone_numbers_keep_only_their_last_three_digits()
    {
        Assert.Equal("+••••••••567", PhoneMask.Mask("+40721234567"));
        Assert.Equal("anonymous", PhoneMask.Mask("anonymous"));
        Assert.Equal("", PhoneMask.Mask(null));
    }
}
