using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Tiers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "InterestTopics",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    AutoName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CustomName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Products = table.Column<int>(type: "INTEGER", nullable: false),
                    LastRunId = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InterestTopics", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SegmentationRuns",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DefinitionVersion = table.Column<int>(type: "INTEGER", nullable: false),
                    AsOf = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Customers = table.Column<int>(type: "INTEGER", nullable: false),
                    VectorSource = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    UserVectorSource = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    TopicCount = table.Column<int>(type: "INTEGER", nullable: false),
                    ClusterCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Silhouette = table.Column<double>(type: "REAL", nullable: false),
                    Seconds = table.Column<double>(type: "REAL", nullable: false),
                    Message = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SegmentationRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TierDefinitions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    RulesJson = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Note = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TierDefinitions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CustomerTiers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SegmentationRunId = table.Column<int>(type: "INTEGER", nullable: false),
                    CustomerId = table.Column<int>(type: "INTEGER", nullable: false),
                    RecencyDays = table.Column<double>(type: "REAL", nullable: true),
                    Frequency = table.Column<int>(type: "INTEGER", nullable: false),
                    Monetary = table.Column<double>(type: "REAL", nullable: false),
                    R = table.Column<int>(type: "INTEGER", nullable: false),
                    F = table.Column<int>(type: "INTEGER", nullable: false),
                    M = table.Column<int>(type: "INTEGER", nullable: false),
                    Segment = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Lifecycle = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    DaysSinceLastEvent = table.Column<double>(type: "REAL", nullable: false),
                    CadenceDays = table.Column<double>(type: "REAL", nullable: true),
                    TopicId = table.Column<int>(type: "INTEGER", nullable: true),
                    Cluster = table.Column<int>(type: "INTEGER", nullable: false),
                    InterestsJson = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerTiers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CustomerTiers_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CustomerTiers_SegmentationRuns_SegmentationRunId",
                        column: x => x.SegmentationRunId,
                        principalTable: "SegmentationRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ProductTopics",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SegmentationRunId = table.Column<int>(type: "INTEGER", nullable: false),
                    ProductId = table.Column<int>(type: "INTEGER", nullable: false),
                    TopicId = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProductTopics", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ProductTopics_Products_ProductId",
                        column: x => x.ProductId,
                        principalTable: "Products",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ProductTopics_SegmentationRuns_SegmentationRunId",
                        column: x => x.SegmentationRunId,
                        principalTable: "SegmentationRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CustomerTiers_CustomerId",
                table: "CustomerTiers",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerTiers_SegmentationRunId_CustomerId",
                table: "CustomerTiers",
                columns: new[] { "SegmentationRunId", "CustomerId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CustomerTiers_SegmentationRunId_Segment",
                table: "CustomerTiers",
                columns: new[] { "SegmentationRunId", "Segment" });

            migrationBuilder.CreateIndex(
                name: "IX_InterestTopics_Key",
                table: "InterestTopics",
                column: "Key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ProductTopics_ProductId",
                table: "ProductTopics",
                column: "ProductId");

            migrationBuilder.CreateIndex(
                name: "IX_ProductTopics_SegmentationRunId_ProductId",
                table: "ProductTopics",
                columns: new[] { "SegmentationRunId", "ProductId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TierDefinitions_Version",
                table: "TierDefinitions",
                column: "Version",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CustomerTiers");

            migrationBuilder.DropTable(
                name: "InterestTopics");

            migrationBuilder.DropTable(
                name: "ProductTopics");

            migrationBuilder.DropTable(
                name: "TierDefinitions");

            migrationBuilder.DropTable(
                name: "SegmentationRuns");
        }
    }
}
