using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReplayBacktests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BacktestRuns",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Models = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    Weeks = table.Column<int>(type: "INTEGER", nullable: false),
                    ListLength = table.Column<int>(type: "INTEGER", nullable: false),
                    ActiveWindowDays = table.Column<int>(type: "INTEGER", nullable: false),
                    Progress = table.Column<double>(type: "REAL", nullable: false),
                    ProgressText = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    Message = table.Column<string>(type: "TEXT", nullable: true),
                    TriggeredBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    QueuedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BacktestRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BacktestWeeks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BacktestRunId = table.Column<int>(type: "INTEGER", nullable: false),
                    Model = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    WeekStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    TrainEvents = table.Column<int>(type: "INTEGER", nullable: false),
                    PushedCustomers = table.Column<int>(type: "INTEGER", nullable: false),
                    Pushes = table.Column<long>(type: "INTEGER", nullable: false),
                    ReplayedClicks = table.Column<long>(type: "INTEGER", nullable: false),
                    Buyers = table.Column<int>(type: "INTEGER", nullable: false),
                    ReplayedCtr = table.Column<double>(type: "REAL", nullable: false),
                    RecallAtK = table.Column<double>(type: "REAL", nullable: false),
                    FitSeconds = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BacktestWeeks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BacktestWeeks_BacktestRuns_BacktestRunId",
                        column: x => x.BacktestRunId,
                        principalTable: "BacktestRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BacktestWeeks_BacktestRunId_Model_WeekStart",
                table: "BacktestWeeks",
                columns: new[] { "BacktestRunId", "Model", "WeekStart" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BacktestWeeks");

            migrationBuilder.DropTable(
                name: "BacktestRuns");
        }
    }
}
