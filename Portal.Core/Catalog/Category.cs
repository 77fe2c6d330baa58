namespace Portal.Core.Catalog;

/// <summary>A node of a merchant's category tree. <see cref="Path"/> holds the full path, levels separated by <c> &gt; </c>.</summary>
public class Category
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>Owning merchant.</summary>
    public int MerchantId { get; set; }
    /// <summary>Owning merchant (navigation).</summary>
    public Merchant? Merchant { get; set; }
    /// <summary>Parent category, null at the top level.</summary>
    public int? ParentId { get; set; }
    /// <summary>Parent category (navigation).</summary>
    public Category? Parent { get; set; }
    /// <summary>Last level of the path (<c>手机</c> for <c>电子产品 &gt; 手机</c>).</summary>
    public required string Name { get; set; }
    /// <summary>Full path, unique per merchant (<c>电子产品 &gt; 手机</c>).</summary>
    public required string Path { get; set; }

    /// <summary>Separator between the levels of a category path in files.</summary>
    public const string PathSeparator = " > ";
}
