using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Core.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class Feedback : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FeedbackEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Kind = table.Column<string>(type: "nvarchar(16)", maxLength: 16, nullable: false),
                    MerchantId = table.Column<int>(type: "int", nullable: false),
                    CustomerId = table.Column<int>(type: "int", nullable: true),
                    ProductId = table.Column<int>(type: "int", nullable: false),
                    Position = table.Column<int>(type: "int", nullable: true),
                    Timestamp = table.Column<DateTime>(type: "datetime2", nullable: false),
                    Propensity = table.Column<double>(type: "float", nullable: true),
                    CampaignId = table.Column<int>(type: "int", nullable: true),
                    BatchId = table.Column<int>(type: "int", nullable: true),
                    ContextJson = table.Column<string>(type: "nvarchar(max)", nullable: true),
                    ImpressionKey = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    ImportRunId = table.Column<int>(type: "int", nullable: true),
                    SourceLine = table.Column<long>(type: "bigint", nullable: false),
                    DedupKey = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedbackEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FeedbackEvents_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_FeedbackEvents_Merchants_MerchantId",
                        column: x => x.MerchantId,
                        principalTable: "Merchants",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_FeedbackEvents_Products_ProductId",
                        column: x => x.ProductId,
                        principalTable: "Products",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackEvents_CampaignId",
                table: "FeedbackEvents",
                column: "CampaignId");

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackEvents_CustomerId",
                table: "FeedbackEvents",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackEvents_DedupKey",
                table: "FeedbackEvents",
                column: "DedupKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackEvents_ImpressionKey",
                table: "FeedbackEvents",
                column: "ImpressionKey");

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackEvents_MerchantId_Timestamp",
                table: "FeedbackEvents",
                columns: new[] { "MerchantId", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackEvents_ProductId_Timestamp",
                table: "FeedbackEvents",
                columns: new[] { "ProductId", "Timestamp" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeedbackEvents");
        }
    }
}
