using WsFast.Load.Reports.Comparison;

namespace WsFast.Load.Tests;

public class CsvTableTests
{
    [Fact]
    public void Cells_are_read_by_column_name_whatever_the_order()
    {
        CsvTable table = CsvTable.Parse("b,a\r\n2,1\r\n");
        Assert.Equal(["b", "a"], table.Header);
        Assert.Equal("1", table.Rows[0]["a"]);
        Assert.Equal(2, table.Rows[0].Number("b"));
    }

    [Fact]
    public void Missing_columns_and_empty_cells_read_as_null()
    {
        CsvTable table = CsvTable.Parse("rate_per_s,p99_us\n100,\n");
        CsvRow row = Assert.Single(table.Rows);
        Assert.Null(row["p99_us"]);
        Assert.Null(row["delivered_per_s"]);
        Assert.Null(row.Number("delivered_per_s"));
        Assert.Null(row.Number("rate_per_s_typo"));
        Assert.Equal("n/a", WsFast.Load.Reports.Figures.Format(row.Number("delivered_per_s")));
    }

    [Fact]
    public void A_short_line_lacks_its_trailing_columns()
    {
        CsvRow row = CsvTable.Parse("a,b,c\n1,2\n").Rows[0];
        Assert.Equal("2", row["b"]);
        Assert.Null(row["c"]);
    }

    [Fact]
    public void Quoted_cells_keep_commas_quotes_and_line_breaks()
    {
        CsvTable table = CsvTable.Parse("settings,n\n\"32 B, \"\"text\"\"\nsecond line\",7\n");
        CsvRow row = Assert.Single(table.Rows);
        Assert.Equal("32 B, \"text\"\nsecond line", row["settings"]);
        Assert.Equal(7, row.Number("n"));
        Assert.Equal(["settings", "n"], row.Columns);
    }

    [Fact]
    public void Numbers_are_invariant_and_text_is_not_a_number()
    {
        CsvRow row = CsvTable.Parse("x,y\n1234.5,n/a\n").Rows[0];
        Assert.Equal(1234.5, row.Number("x"));
        Assert.Null(row.Number("y"));
    }

    [Fact]
    public void Empty_text_has_no_columns_and_no_rows()
    {
        CsvTable table = CsvTable.Parse("");
        Assert.Empty(table.Header);
        Assert.Empty(table.Rows);
    }
}
