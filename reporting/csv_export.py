import csv

from django.http import HttpResponse

from reporting.selectors import Table


def _cell(value):
    return "" if value is None else value


def table_csv(table: Table, *, filename_suffix: str = "") -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{table.name}{filename_suffix}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return response
