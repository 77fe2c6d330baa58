using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Client.Components;
using Portal.Client.Pages;
using Portal.Core.Data.Import;

namespace Portal.Tests.Components;

/// <summary>The imports page, an import's detail with its rejected rows, on a real SQLite database.</summary>
public sealed class ImportsPageTests : ComponentTestBase
{
    private static readonly (long, string, string?, string)[] UciRejections =
    [
        (17, "Quantity", "six", "Quantity is not a number"),
        (204, "InvoiceDate", "2010-13-01 08:26", "InvoiceDate is not a date (yyyy-MM-dd HH:mm)"),
        (981, "StockCode", "", "StockCode is empty"),
    ];

    [Fact]
    public void Lists_the_runs_with_status_counts_and_progress()
    {
        UciSeed.SeedImport(Contexts, UciRejections);
        using (var db = Contexts.CreateDbContext())
        {
            db.ImportRuns.Add(new ImportRun { FileName = "events-2011.csv", Format = ImportFormat.EventsCsv, Status = ImportStatus.Running, Progress = 0.42, RowsRead = 120000, CreatedAt = new DateTime(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc) });
            db.SaveChanges();
        }
        Render<MudPopoverProvider>();

        var cut = Render<Imports>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tr.import-row").Count));
        var rows = cut.FindAll("tr.import-row");
        Assert.Contains("events-2011.csv", rows[0].TextContent);
        Assert.Contains("Running", rows[0].TextContent);
        Assert.Contains("42%", rows[0].TextContent);
        Assert.Contains("online_retail.csv", rows[1].TextContent);
        Assert.Contains("Succeeded", rows[1].TextContent);
        Assert.Contains("392,732", rows[1].TextContent);
        Assert.Contains("UCI Online Retail", rows[1].TextContent);
        // No import service registered yet: the upload is disabled with a notice, the list still works.
        Assert.NotNull(cut.Find("[data-testid=import-service-missing]"));
    }

    [Fact]
    public void Uploads_a_file_with_the_chosen_format_queues_the_import_job_and_shows_the_run_finish()
    {
        AddImportService();
        Render<MudPopoverProvider>();
        var cut = Render<Imports>();
        Assert.Empty(cut.FindAll("[data-testid=import-service-missing]"));
        Assert.Contains("No imports yet.", cut.Markup);
        const string csv = "user_id,item_id,timestamp,event_type\n17850,85123A,2010-12-01T08:26:00Z,purchase\n17850,71053,2010-12-01T08:26:00Z,view\n";

        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(csv, "events.csv"));
        cut.WaitForAssertion(() => Assert.Contains("events.csv", cut.Find("[data-testid=chosen-file]").TextContent));
        var formatSelect = cut.FindComponent<MudSelect<ImportFormat>>();
        cut.InvokeAsync(() => formatSelect.Instance.ValueChanged.InvokeAsync(ImportFormat.EventsCsv));
        cut.Find("button[data-testid=start-import]").Click();

        // The real service stored the upload under the data folder, recorded a queued run and enqueued ImportJob.RunAsync.
        cut.WaitForAssertion(() => Assert.Contains("Queued", cut.Find("tr.import-row").TextContent), TimeSpan.FromSeconds(10));
        ImportRun run;
        using (var db = Contexts.CreateDbContext())
            run = db.ImportRuns.Single();
        Assert.Equal(ImportStatus.Queued, run.Status);
        Assert.Equal("events.csv", run.FileName);
        Assert.Equal(ImportFormat.EventsCsv, run.Format);
        Assert.Equal("portal", run.RequestedBy);
        Assert.StartsWith(Paths.Uploads, run.StoredPath);
        Assert.Equal(csv, File.ReadAllText(run.StoredPath!));
        var monitoring = JobStorage.GetMonitoringApi();
        Assert.Equal(1, monitoring.EnqueuedCount("default"));
        var job = monitoring.EnqueuedJobs("default", 0, 10).Single().Value.Job;
        Assert.Equal(typeof(ImportJob), job.Type);
        Assert.Equal(nameof(ImportJob.RunAsync), job.Method.Name);
        Assert.Equal(run.Id, job.Args[0]);

        // Running the job (as a Hangfire server would) imports the file; the page's polling shows the result.
        Services.GetRequiredService<ImportJob>().RunAsync(run.Id, CancellationToken.None).GetAwaiter().GetResult();
        cut.WaitForAssertion(() => Assert.Contains("Succeeded", cut.Find("tr.import-row").TextContent), TimeSpan.FromSeconds(10));
        using var read = Contexts.CreateDbContext();
        Assert.Equal(2, read.ImportRuns.Single().EventsAdded);
        Assert.Equal(["71053", "85123A"], read.Events.Select(e => e.Product!.ExternalId).OrderBy(x => x).ToList());
    }

    [Fact]
    public void Detail_shows_rejected_rows_with_row_column_value_reason_and_the_csv_link()
    {
        var id = UciSeed.SeedImport(Contexts, UciRejections);
        Render<MudPopoverProvider>();

        var cut = Render<ImportDetail>(p => p.Add(x => x.Id, id));

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("tr.rejection-row").Count));
        var cells = cut.FindAll("tr.rejection-row").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(["17", "Quantity", "six", "Quantity is not a number"], cells[0]);
        Assert.Equal(["204", "InvoiceDate", "2010-13-01 08:26", "InvoiceDate is not a date (yyyy-MM-dd HH:mm)"], cells[1]);
        Assert.Equal("981", cells[2][0]);
        Assert.Equal($"/api/imports/{id}/rejections.csv", cut.Find("[data-testid=download-rejections]").GetAttribute("href"));
        Assert.Contains("Download rejected rows (CSV)", cut.Find("[data-testid=download-rejections]").TextContent);
        Assert.Contains("online_retail.csv", cut.Find("[data-testid=import-file]").TextContent);
        Assert.Contains("Imported 392,732 events.", cut.Find("[data-testid=import-message]").TextContent);
    }

    [Fact]
    public void Detail_speaks_chinese_under_zh_CN()
    {
        UseCulture("zh-CN");
        var id = UciSeed.SeedImport(Contexts, UciRejections);
        Render<MudPopoverProvider>();

        var cut = Render<ImportDetail>(p => p.Add(x => x.Id, id));

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("tr.rejection-row").Count));
        Assert.Contains("下载被拒绝的行 (CSV)", cut.Find("[data-testid=download-rejections]").TextContent);
        Assert.Contains("被拒绝的行", cut.Markup);
        Assert.Contains("原因", cut.Markup);
        Assert.Contains("成功", cut.Find("[data-testid=status-chip]").TextContent);
    }

    [Fact]
    public void Rejected_rows_are_paged_on_the_server()
    {
        var rejections = Enumerable.Range(1, 30).Select(i => ((long)(i + 1), "CustomerID", (string?)$"x{i}", "CustomerID is not a number")).ToArray();
        var id = UciSeed.SeedImport(Contexts, rejections);
        Render<MudPopoverProvider>();

        var cut = Render<RejectionsGrid>(p => p.Add(x => x.ImportRunId, id).Add(x => x.PageSize, 25));

        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("tr.rejection-row").Count));
        Assert.Contains("1-25 of 30", cut.Markup);
        cut.FindComponent<MudDataGrid<ImportRejection>>().InvokeAsync(() => cut.FindComponent<MudDataGrid<ImportRejection>>().Instance.NavigateTo(Page.Next));
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("tr.rejection-row").Count));
        Assert.Equal("27", cut.FindAll("tr.rejection-row")[0].QuerySelector("td")!.TextContent.Trim());
    }

    [Fact]
    public void An_unknown_import_shows_an_empty_state()
    {
        Render<MudPopoverProvider>();
        var cut = Render<ImportDetail>(p => p.Add(x => x.Id, 999));
        cut.WaitForAssertion(() => Assert.Contains("There is no import 999.", cut.Find("[data-testid=empty-state]").TextContent));
    }
}
