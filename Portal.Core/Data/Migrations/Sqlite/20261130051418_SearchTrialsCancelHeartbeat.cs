using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SearchTrialsCancelHeartbeat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "JobIds",
                table: "TrainingRuns",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TrainedOn",
                table: "TrainingRuns",
                type: "TEXT",
                maxLength: 400,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "HyperParameterTrials",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TrainingRunId = table.Column<int>(type: "INTEGER", nullable: false),
                    Ordinal = table.Column<int>(type: "INTEGER", nullable: false),
                    ParametersJson = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    ValidationAllJson = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ValidationNovelJson = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    NdcgAll = table.Column<double>(type: "REAL", nullable: true),
                    NdcgNovel = table.Column<double>(type: "REAL", nullable: true),
                    ChosenForAll = table.Column<bool>(type: "INTEGER", nullable: false),
                    ChosenForNovel = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HyperParameterTrials", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HyperParameterTrials_TrainingRuns_TrainingRunId",
                        column: x => x.TrainingRunId,
                        principalTable: "TrainingRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WorkerHeartbeats",
                columns: table => new
                {
                    ServerName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Host = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ProcessId = table.Column<int>(type: "INTEGER", nullable: false),
                    Queues = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Device = table.Column<string>(type: "TEXT", maxLength: 400, nullable: false),
                    FreeMemoryMiB = table.Column<long>(type: "INTEGER", nullable: false),
                    TotalMemoryMiB = table.Column<long>(type: "INTEGER", nullable: false),
                    WorkerCount = table.Column<int>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastSeen = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkerHeartbeats", x => x.ServerName);
                });

            migrationBuilder.CreateIndex(
                name: "IX_HyperParameterTrials_TrainingRunId_Ordinal",
                table: "HyperParameterTrials",
                columns: new[] { "TrainingRunId", "Ordinal" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "HyperParameterTrials");

            migrationBuilder.DropTable(
                name: "WorkerHeartbeats");

            migrationBuilder.DropColumn(
                name: "JobIds",
                table: "TrainingRuns");

            migrationBuilder.DropColumn(
                name: "TrainedOn",
                table: "TrainingRuns");
        }
    }
}
