from django import forms

from catalog.models import Category, Product, Supplier
from reporting.selectors import Filters, filters_default


class FilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    supplier = forms.ModelChoiceField(
        Supplier.objects.all(), required=False, to_field_name="code", empty_label="All suppliers"
    )
    category = forms.ModelChoiceField(
        Category.objects.all(), required=False, to_field_name="slug", empty_label="All categories"
    )
    product = forms.CharField(required=False, max_length=64, label="Product SKU")

    def clean_product(self):
        sku = self.cleaned_data["product"].strip()
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError("No product with this SKU.")
        return product

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        # The cap applies to the range actually read: one date alone (start=0001-01-01)
        # would otherwise make the trend table millions of days long.
        default = filters_default()
        if ((end or default.end) - (start or default.start)).days > 3660:
            self.add_error("start", "Pick at most ten years.")
        return data

    def filters(self) -> Filters:
        """The filters asked for; defaults (last 90 days, everything) for missing/bad input."""
        default = filters_default()
        data = self.cleaned_data if self.is_valid() else {}
        supplier, category, product = (
            data.get("supplier"),
            data.get("category"),
            data.get("product"),
        )
        return Filters(
            start=data.get("start") or default.start,
            end=data.get("end") or default.end,
            supplier_id=supplier.pk if supplier else None,
            category_id=category.pk if category else None,
            product_id=product.pk if product else None,
        )
