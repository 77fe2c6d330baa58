using Cronos;
using FluentValidation;

namespace Portal.Core.Campaigns;

/// <summary>
/// The editable settings of a campaign, as the form binds them (mutable, flat). <see cref="CampaignInputValidator"/>
/// checks it for the form and for <see cref="CampaignService"/>; <see cref="ApplyTo"/> copies it onto the entity.
/// </summary>
public sealed class CampaignInput
{
    /// <summary>Display name, 1–200 characters, unique per merchant.</summary>
    public string Name { get; set; } = "";
    /// <summary>Goal.</summary>
    public CampaignGoal Goal { get; set; } = CampaignGoal.Engagement;
    /// <summary>Tiers or uploaded list.</summary>
    public AudienceKind AudienceKind { get; set; } = AudienceKind.Tiers;
    /// <summary>RFM segment codes.</summary>
    public IReadOnlyCollection<string> Segments { get; set; } = [];
    /// <summary>Lifecycle stage codes.</summary>
    public IReadOnlyCollection<string> LifecycleStages { get; set; } = [];
    /// <summary>Interest topic ids (audience).</summary>
    public IReadOnlyCollection<int> AudienceTopicIds { get; set; } = [];
    /// <summary>Interest cluster numbers.</summary>
    public IReadOnlyCollection<int> Clusters { get; set; } = [];
    /// <summary>Customer external ids of the uploaded list.</summary>
    public IReadOnlyList<string> CustomerIds { get; set; } = [];
    /// <summary>File name of the uploaded list.</summary>
    public string? ListFileName { get; set; }
    /// <summary>Category ids of the product scope.</summary>
    public IReadOnlyCollection<int> CategoryIds { get; set; } = [];
    /// <summary>Topic ids of the product scope.</summary>
    public IReadOnlyCollection<int> ScopeTopicIds { get; set; } = [];
    /// <summary>Product external ids of the product scope, separated by commas, spaces or new lines.</summary>
    public string ProductIds { get; set; } = "";
    /// <summary>Price band floor (merchant currency).</summary>
    public decimal? PriceMin { get; set; }
    /// <summary>Price band ceiling (merchant currency).</summary>
    public decimal? PriceMax { get; set; }
    /// <summary>Items per customer, 1–50.</summary>
    public int ListSize { get; set; } = 10;
    /// <summary>Channel.</summary>
    public PushChannel Channel { get; set; } = PushChannel.Webhook;
    /// <summary>Once or cron.</summary>
    public ScheduleKind ScheduleKind { get; set; } = ScheduleKind.Once;
    /// <summary>Day of a once campaign (UTC).</summary>
    public DateTime? RunAtDate { get; set; }
    /// <summary>Time of day of a once campaign (UTC).</summary>
    public TimeSpan? RunAtTime { get; set; }
    /// <summary>Cron expression (five fields, UTC).</summary>
    public string? Cron { get; set; }
    /// <summary>Daily cap per customer across campaigns (null: none).</summary>
    public int? CapPerDay { get; set; }
    /// <summary>Weekly cap per customer across campaigns (null: none).</summary>
    public int? CapPerWeek { get; set; }
    /// <summary>Quiet hours start, customer's local time.</summary>
    public TimeSpan? QuietHoursStart { get; set; }
    /// <summary>Quiet hours end, customer's local time.</summary>
    public TimeSpan? QuietHoursEnd { get; set; }
    /// <summary>First day (UTC).</summary>
    public DateTime? StartDate { get; set; } = DateTime.UtcNow.Date;
    /// <summary>Last day (UTC, inclusive), null: open-ended.</summary>
    public DateTime? EndDate { get; set; }

    /// <summary>The once time as a UTC <see cref="DateTime"/>, or null.</summary>
    public DateTime? RunAtUtc => RunAtDate is { } d ? DateTime.SpecifyKind(d.Date + (RunAtTime ?? TimeSpan.Zero), DateTimeKind.Utc) : null;

    /// <summary>The product ids of <see cref="ProductIds"/>, trimmed, upper-cased (as StockCodes are stored), distinct.</summary>
    public IReadOnlyList<string> ProductIdList => ProductIds.Split([',', ' ', '\n', '\r', '\t', ';'], StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Trim().ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The audience these settings describe.</summary>
    public CampaignAudience ToAudience() => AudienceKind == AudienceKind.UploadedList
        ? new CampaignAudience { Kind = AudienceKind.UploadedList, CustomerIds = CustomerIds.ToList(), ListFileName = ListFileName }
        : new CampaignAudience
        {
            Kind = AudienceKind.Tiers, Segments = Segments.Distinct().ToList(), LifecycleStages = LifecycleStages.Distinct().ToList(),
            TopicIds = AudienceTopicIds.Distinct().ToList(), Clusters = Clusters.Distinct().ToList(),
        };

    /// <summary>The product scope these settings describe.</summary>
    public CampaignProductScope ToScope() => new()
    {
        CategoryIds = CategoryIds.Distinct().ToList(), TopicIds = ScopeTopicIds.Distinct().ToList(), ProductIds = ProductIdList.ToList(),
        PriceMin = PriceMin, PriceMax = PriceMax,
    };

    /// <summary>Copies the settings onto <paramref name="campaign"/> (not its status, owner or timestamps).</summary>
    /// <param name="campaign">The entity.</param>
    public void ApplyTo(Campaign campaign)
    {
        campaign.Name = Name.Trim();
        campaign.Goal = Goal;
        campaign.Audience = ToAudience();
        campaign.Scope = ToScope();
        campaign.ListSize = ListSize;
        campaign.Channel = Channel;
        campaign.ScheduleKind = ScheduleKind;
        campaign.RunAt = ScheduleKind == ScheduleKind.Once ? RunAtUtc : null;
        campaign.Cron = ScheduleKind == ScheduleKind.Cron ? Cron?.Trim() : null;
        campaign.CapPerDay = CapPerDay;
        campaign.CapPerWeek = CapPerWeek;
        campaign.QuietHoursStart = QuietHoursStart is { } s ? TimeOnly.FromTimeSpan(s) : null;
        campaign.QuietHoursEnd = QuietHoursEnd is { } e ? TimeOnly.FromTimeSpan(e) : null;
        campaign.StartDate = DateOnly.FromDateTime(StartDate ?? DateTime.UtcNow);
        campaign.EndDate = EndDate is { } end ? DateOnly.FromDateTime(end) : null;
    }

    /// <summary>The settings of an existing campaign, for editing.</summary>
    /// <param name="c">The campaign.</param>
    public static CampaignInput From(Campaign c) => new()
    {
        Name = c.Name, Goal = c.Goal, AudienceKind = c.Audience.Kind, Segments = c.Audience.Segments.ToList(),
        LifecycleStages = c.Audience.LifecycleStages.ToList(), AudienceTopicIds = c.Audience.TopicIds.ToList(), Clusters = c.Audience.Clusters.ToList(),
        CustomerIds = c.Audience.CustomerIds.ToList(), ListFileName = c.Audience.ListFileName,
        CategoryIds = c.Scope.CategoryIds.ToList(), ScopeTopicIds = c.Scope.TopicIds.ToList(), ProductIds = string.Join(", ", c.Scope.ProductIds),
        PriceMin = c.Scope.PriceMin, PriceMax = c.Scope.PriceMax, ListSize = c.ListSize, Channel = c.Channel, ScheduleKind = c.ScheduleKind,
        RunAtDate = c.RunAt?.Date, RunAtTime = c.RunAt?.TimeOfDay, Cron = c.Cron, CapPerDay = c.CapPerDay, CapPerWeek = c.CapPerWeek,
        QuietHoursStart = c.QuietHoursStart?.ToTimeSpan(), QuietHoursEnd = c.QuietHoursEnd?.ToTimeSpan(),
        StartDate = c.StartDate.ToDateTime(TimeOnly.MinValue), EndDate = c.EndDate?.ToDateTime(TimeOnly.MinValue),
    };
}

/// <summary>
/// Validation of <see cref="CampaignInput"/> (FluentValidation), one message per field, used by the form (per field
/// as the user types) and by <see cref="CampaignService"/> before anything is stored. Cron expressions are parsed with
/// Cronos (standard five-field format).
/// </summary>
public sealed class CampaignInputValidator : AbstractValidator<CampaignInput>
{
    /// <summary>Most items per customer's list.</summary>
    public const int MaxListSize = 50;

    /// <summary>Builds the rules.</summary>
    public CampaignInputValidator()
    {
        RuleFor(x => x.Name).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Name is required.").WithErrorCode("NameRequired")
            .MaximumLength(200).WithMessage("Name must be at most 200 characters.").WithErrorCode("NameTooLong");
        RuleFor(x => x.ListSize).InclusiveBetween(1, MaxListSize).WithMessage($"Push list size must be between 1 and {MaxListSize}.").WithErrorCode("ListSize");
        RuleFor(x => x.CustomerIds).Must(l => l.Count > 0).When(x => x.AudienceKind == AudienceKind.UploadedList)
            .WithMessage("Upload a customer list with at least one known customer.").WithErrorCode("ListRequired");
        RuleFor(x => x.PriceMin).GreaterThanOrEqualTo(0).When(x => x.PriceMin is not null).WithMessage("Lowest price must not be negative.").WithErrorCode("PriceNegative");
        RuleFor(x => x.PriceMax).GreaterThanOrEqualTo(0).When(x => x.PriceMax is not null).WithMessage("Highest price must not be negative.").WithErrorCode("PriceNegative");
        RuleFor(x => x.PriceMax).Must((x, max) => max >= x.PriceMin).When(x => x.PriceMin is not null && x.PriceMax is not null)
            .WithMessage("Highest price must not be below the lowest price.").WithErrorCode("PriceBand");
        RuleFor(x => x.RunAtDate).NotNull().When(x => x.ScheduleKind == ScheduleKind.Once).WithMessage("Choose the day of the push.").WithErrorCode("RunAtDate");
        RuleFor(x => x.RunAtTime).NotNull().When(x => x.ScheduleKind == ScheduleKind.Once).WithMessage("Choose the time of the push (UTC).").WithErrorCode("RunAtTime");
        RuleFor(x => x.Cron).Must(c => !string.IsNullOrWhiteSpace(c)).When(x => x.ScheduleKind == ScheduleKind.Cron)
            .WithMessage("Enter a cron expression (five fields: minute hour day-of-month month day-of-week, UTC).").WithErrorCode("CronRequired");
        RuleFor(x => x.Cron).Custom((cron, ctx) =>
        {
            if (ctx.InstanceToValidate.ScheduleKind != ScheduleKind.Cron || string.IsNullOrWhiteSpace(cron)) return;
            if (CronError(cron) is { } error)
                ctx.AddFailure(new FluentValidation.Results.ValidationFailure(nameof(CampaignInput.Cron), error, cron) { ErrorCode = "CronInvalid" });
        });
        RuleFor(x => x.CapPerDay).InclusiveBetween(1, 100).When(x => x.CapPerDay is not null).WithMessage("Daily cap must be between 1 and 100 pushes.").WithErrorCode("CapPerDay");
        RuleFor(x => x.CapPerWeek).InclusiveBetween(1, 700).When(x => x.CapPerWeek is not null).WithMessage("Weekly cap must be between 1 and 700 pushes.").WithErrorCode("CapPerWeek");
        RuleFor(x => x.CapPerWeek).Must((x, w) => w >= x.CapPerDay).When(x => x.CapPerDay is not null && x.CapPerWeek is not null)
            .WithMessage("Weekly cap must not be below the daily cap.").WithErrorCode("CapWeekBelowDay");
        RuleFor(x => x.QuietHoursEnd).NotNull().When(x => x.QuietHoursStart is not null).WithMessage("Quiet hours need an end time as well.").WithErrorCode("QuietEnd");
        RuleFor(x => x.QuietHoursStart).NotNull().When(x => x.QuietHoursEnd is not null).WithMessage("Quiet hours need a start time as well.").WithErrorCode("QuietStart");
        RuleFor(x => x.QuietHoursEnd).Must((x, e) => e != x.QuietHoursStart).When(x => x.QuietHoursStart is not null && x.QuietHoursEnd is not null)
            .WithMessage("Quiet hours must not start and end at the same time.").WithErrorCode("QuietSame");
        RuleFor(x => x.StartDate).NotNull().WithMessage("Choose the start date.").WithErrorCode("StartDate");
        RuleFor(x => x.EndDate).Must((x, end) => end!.Value.Date >= x.StartDate!.Value.Date).When(x => x.EndDate is not null && x.StartDate is not null)
            .WithMessage("End date must not be before the start date.").WithErrorCode("EndBeforeStart");
        RuleFor(x => x.RunAtDate).Must((x, d) => x.StartDate is null || d!.Value.Date >= x.StartDate.Value.Date && (x.EndDate is null || d.Value.Date <= x.EndDate.Value.Date))
            .When(x => x.ScheduleKind == ScheduleKind.Once && x.RunAtDate is not null).WithMessage("The push day must lie between the start and end dates.").WithErrorCode("RunAtOutside");
    }

    /// <summary>Null when <paramref name="cron"/> is a valid five-field cron expression, else a message naming the problem.</summary>
    /// <param name="cron">The expression.</param>
    public static string? CronError(string cron)
    {
        try
        {
            CronExpression.Parse(cron.Trim(), CronFormat.Standard);
            return null;
        }
        catch (CronFormatException e)
        {
            return $"'{cron.Trim()}' is not a valid cron expression (five fields: minute hour day-of-month month day-of-week, UTC): {e.Message}";
        }
    }

    /// <summary>
    /// A MudBlazor field validation function: the messages of property <paramref name="propertyName"/> for the current
    /// <paramref name="model"/> (the form passes the model and the field's name).
    /// </summary>
    /// <param name="model">The <see cref="CampaignInput"/>.</param>
    /// <param name="propertyName">The property to validate.</param>
    public async Task<IEnumerable<string>> ValidateValueAsync(object model, string propertyName) =>
        (await FailuresAsync((CampaignInput)model, propertyName)).Select(e => e.ErrorMessage);

    /// <summary>
    /// The failures of property <paramref name="propertyName"/>: each has an English <c>ErrorMessage</c> and an
    /// <c>ErrorCode</c> (<c>NameRequired</c>, <c>CronInvalid</c>, ...) that the UI translates; a cron failure carries
    /// the expression as <c>AttemptedValue</c>.
    /// </summary>
    /// <param name="model">The settings.</param>
    /// <param name="propertyName">The property to validate.</param>
    public async Task<IReadOnlyList<FluentValidation.Results.ValidationFailure>> FailuresAsync(CampaignInput model, string propertyName)
    {
        var result = await ValidateAsync(ValidationContext<CampaignInput>.CreateWithOptions(model, o => o.IncludeProperties(propertyName)));
        return result.Errors;
    }
}
