"""Entry point for worker and beat: ``celery -A tasks.worker worker`` / ``celery -A tasks.worker beat``.

The Flask app is created once per process, here.
"""

from crm import create_app
from tasks.celery_app import create_celery

flask_app = create_app()
celery = create_celery(flask_app)
