using Portal.Core.Campaigns;

namespace Portal.Tests.Campaigns;

/// <summary>Campaign validation (FluentValidation, cron through Cronos) and the uploaded customer list (CsvHelper).</summary>
public class CampaignInputTests
{
    private static CampaignInput Valid() => new()
    {
        Name = "Winter", ScheduleKind = ScheduleKind.Cron, Cron = "0 9 * * 1", StartDate = new DateTime(2026, 1, 1), ListSize = 10,
    };

    [Theory]
    [InlineData("0 9 * * 1")]
    [InlineData("*/15 8-20 * * MON-FRI")]
    [InlineData("0 0 1 * *")]
    public void Valid_cron_expressions_pass(string cron)
    {
        var input = Valid();
        input.Cron = cron;
        Assert.Empty(CampaignService.Errors(input));
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("* * *")]
    [InlineData("0 9 * * MON-XYZ")]
    [InlineData("every monday")]
    [InlineData("0 0 9 * * 1")] // six fields (seconds) are not the standard format
    public void Invalid_cron_expressions_get_a_message_naming_the_expression(string cron)
    {
        var input = Valid();
        input.Cron = cron;
        var errors = CampaignService.Errors(input);
        var message = Assert.Single(errors[nameof(CampaignInput.Cron)]);
        Assert.Contains($"'{cron}' is not a valid cron expression", message);
        Assert.Contains("five fields", message);
    }

    [Fact]
    public void Every_field_gets_its_own_message()
    {
        var input = new CampaignInput
        {
            Name = " ", ListSize = 51, PriceMin = 10, PriceMax = 5, ScheduleKind = ScheduleKind.Once, CapPerDay = 3, CapPerWeek = 2,
            QuietHoursStart = TimeSpan.FromHours(21), StartDate = new DateTime(2026, 2, 1), EndDate = new DateTime(2026, 1, 1),
            AudienceKind = AudienceKind.UploadedList,
        };
        var errors = CampaignService.Errors(input);
        Assert.Equal(["Name is required."], errors[nameof(CampaignInput.Name)]);
        Assert.Equal(["Push list size must be between 1 and 50."], errors[nameof(CampaignInput.ListSize)]);
        Assert.Equal(["Highest price must not be below the lowest price."], errors[nameof(CampaignInput.PriceMax)]);
        Assert.Equal(["Choose the day of the push."], errors[nameof(CampaignInput.RunAtDate)]);
        Assert.Equal(["Weekly cap must not be below the daily cap."], errors[nameof(CampaignInput.CapPerWeek)]);
        Assert.Equal(["Quiet hours need an end time as well."], errors[nameof(CampaignInput.QuietHoursEnd)]);
        Assert.Equal(["End date must not be before the start date."], errors[nameof(CampaignInput.EndDate)]);
        Assert.Equal(["Upload a customer list with at least one known customer."], errors[nameof(CampaignInput.CustomerIds)]);
        Assert.Empty(CampaignService.Errors(Valid()));
    }

    [Fact]
    public void Uploaded_list_reports_bad_rows_with_file_row_and_column()
    {
        var known = new HashSet<string> { "17850", "12583", "13047" };
        var csv = "name,customer_id\nA,17850\nB,\nC,99999\nD,17850\nE,12583\n\"F, quoted\",13047\n";
        var list = CustomerListCsv.Parse(new StringReader(csv), "vip.csv", known.Contains);
        Assert.Equal(["17850", "12583", "13047"], list.CustomerIds);
        Assert.Equal(3, list.Rejections.Count);
        Assert.Equal(new CustomerListRejection("vip.csv", 3, "customer_id", "", "the customer id is empty"), list.Rejections[0]);
        Assert.Equal(new CustomerListRejection("vip.csv", 4, "customer_id", "99999", "no customer with this id"), list.Rejections[1]);
        Assert.Equal(new CustomerListRejection("vip.csv", 5, "customer_id", "17850", "the customer is already listed in an earlier row"), list.Rejections[2]);
        Assert.Equal("vip.csv, row 4, column customer_id: no customer with this id ('99999')", list.Rejections[1].ToString());
    }

    [Fact]
    public void A_list_without_a_customer_id_column_is_refused_naming_file_and_row()
    {
        var e = Assert.Throws<CustomerListFormatException>(() => CustomerListCsv.Parse(new StringReader("id,name\n1,a\n"), "list.csv", _ => true));
        Assert.Equal("list.csv, row 1: no 'customer_id' column in the header (id, name).", e.Message);
        var empty = Assert.Throws<CustomerListFormatException>(() => CustomerListCsv.Parse(new StringReader(""), "empty.csv", _ => true));
        Assert.StartsWith("empty.csv, row 1:", empty.Message);
    }
}
