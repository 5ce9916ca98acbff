"""The ``demo_data`` table (README.md has its DDL), which Django never creates or migrates."""

from django.db import models


class DemoData(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=255, db_index=True)
    create_time = models.DateTimeField(null=True)
    update_time = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "demo_data"

    def __str__(self) -> str:
        return self.name
