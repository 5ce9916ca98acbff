from django.db import models


# The blog shows no model; this is the plain one its view implies, on its table.
class DemoData(models.Model):
    name = models.CharField(max_length=255, db_index=True)
    create_time = models.DateTimeField(auto_now_add=True)
    update_time = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "demo_data"
